import GossipWire
/// Which API connections are subscribed to which data types. A subscription lasts until its
/// connection closes; subscribing twice to one type is the same as once.
public struct SubscriptionTable: Sendable {
    private var subscribersByType: [UInt16: [ConnectionID]] = [:]
    private var typesByConnection: [ConnectionID: Set<UInt16>] = [:]

    public init() {}

    /// Subscribes `connection` to `dataType`; returns false if it already was.
    @discardableResult
    public mutating func subscribe(_ connection: ConnectionID, to dataType: UInt16) -> Bool {
        guard typesByConnection[connection, default: []].insert(dataType).inserted else { return false }
        subscribersByType[dataType, default: []].append(connection)
        return true
    }

    /// Ends every subscription of `connection`.
    public mutating func remove(_ connection: ConnectionID) {
        guard let types = typesByConnection.removeValue(forKey: connection) else { return }
        for type in types {
            subscribersByType[type]?.removeAll { $0 == connection }
            if subscribersByType[type]?.isEmpty == true { subscribersByType[type] = nil }
        }
    }

    /// The subscribers of `dataType`, in the order they subscribed.
    public func subscribers(of dataType: UInt16) -> [ConnectionID] {
        subscribersByType[dataType] ?? []
    }

    /// Whether any local module subscribed to `dataType`.
    public func hasSubscribers(_ dataType: UInt16) -> Bool {
        subscribersByType[dataType] != nil
    }

    /// The data types `connection` is subscribed to.
    public func types(of connection: ConnectionID) -> Set<UInt16> {
        typesByConnection[connection] ?? []
    }

    /// How many data types have at least one subscriber.
    public var subscribedTypeCount: Int { subscribersByType.count }
}
