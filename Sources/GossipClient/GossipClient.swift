// GossipClient
