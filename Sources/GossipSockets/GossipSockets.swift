// GossipSockets
