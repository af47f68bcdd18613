print("gossip-sim: not built yet")
