// GossipNode
