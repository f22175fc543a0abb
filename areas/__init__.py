"""Administrative areas (GB/T 2260 codes) and the centres that serve their subtrees."""
