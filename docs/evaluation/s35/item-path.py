#!/usr/bin/env python3
"""Instructions per item of the item path at one node, from a demangled `callgrind_annotate
--inclusive=yes --tree=calling` listing (callgrind-node.sh writes one).

usage: item-path.py TREE ITEMS

For each function named below: its inclusive instructions over the recording, the calls made to
it (summed over its callers), and the inclusive instructions per item (divided by ITEMS, the
items announced while counting) and per call. A function no caller reached shows 0 calls.
"""
import re, sys, collections

FUNCTIONS = [
    # the first copy of an item, on the peer reader (while the handler is idle)
    'NodeContext.handleAtOnce(_:)',
    'GossipProtocol.receivedScreenedItem(_:on:now:)',
    'GossipEngine.receive(_:fromPeer:now:)',
    # the module's VALIDATION, on the API reader: the item is sent on
    'GossipProtocol.received(apiMessage:from:now:)',
    'GossipProtocol.settle(_:into:now:)',
    'BroadcastTree.targets(among:excluding:)',
    'BroadcastTree.announce(_:on:now:)',
    'ItemCache.insert(_:at:)',
    'ValidationTracker.answer(_:from:isValid:)',
    # every frame and every write
    'FrameStream.readFrame(idleDeadline:)',
    'FrameOpener.open(_:)',
    'PeerMessage.init(frame:)',
    'NodeContext.perform(_:)',
    'PeerMessage.encoded()',
    'ConnectionSender.enqueue(_:)',
    # the threads
    'P2PServer.serve(_:outbound:dialed:)',
    'specialized static APIServer.serve(_:context:)',
    'closure #1 in ProtocolTicker.start()',
    'NodeContext.statusJSON(_:)',
]

head = re.compile(r'^\s*([\d,]+) \([ \d.%]+\)\s+\*\s+\S*?:(.*?) \[')
edge = re.compile(r'^\s*([\d,]+) \([ \d.%]+\)\s+>\s+\S*?:(.*?) \(([\d,]+)x\) \[')
total = re.compile(r'^\s*([\d,]+) \([ \d.%]+\)\s+PROGRAM TOTALS')

def number(text): return int(text.replace(',', ''))

def main():
    path, items = sys.argv[1], int(sys.argv[2])
    inclusive, calls, program = {}, collections.Counter(), 0
    for line in open(path, errors='replace'):
        if m := total.match(line): program = number(m.group(1))
        elif m := head.match(line):
            # A function can head several blocks (one per caller context): keep the largest.
            inclusive[m.group(2)] = max(inclusive.get(m.group(2), 0), number(m.group(1)))
        elif m := edge.match(line): calls[m.group(2)] += number(m.group(3))
    print(f'instructions counted: {program:,} ({program / items:,.0f} per item over {items} items)')
    print(f'{"function":58} {"inclusive":>12} {"calls":>7} {"per item":>9} {"per call":>9}')
    for name in FUNCTIONS:
        value = inclusive.get(name, 0)
        count = calls.get(name, 0)
        per_call = f'{value / count:,.0f}' if count else '-'
        print(f'{name[:58]:58} {value:>12,} {count:>7,} {value / items:>9,.0f} {per_call:>9}')

main()
