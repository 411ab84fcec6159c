"""The expert pool (专家库) of each organizing body: invitations and expert profiles."""
