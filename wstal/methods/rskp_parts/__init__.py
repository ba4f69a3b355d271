"""The parts of RSKP (docs/methods/rskp.md), one concern per module.

`head`: the FAC-Net-style prediction module shared by every branch and its losses;
`em`: representative-snippet summarisation; `memory`: the per-class memory bank;
`random_walk`: the bipartite random walk in closed form.
"""
