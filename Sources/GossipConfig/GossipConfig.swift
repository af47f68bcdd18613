// GossipConfig
