"""nx-generators: Nx generators that create a project must make one Nx can see."""
