// GossipWire
