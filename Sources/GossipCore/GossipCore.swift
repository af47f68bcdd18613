// GossipCore
