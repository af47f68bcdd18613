import Testing

@testable import GossipCore

@Suite("Lateness estimate")
struct LatenessEstimateTests {
    @Test("the first sample sets the mean and half of it the deviation, as RFC 6298 does")
    func firstSample() {
        let estimate = LatenessEstimate(first: 400)
        #expect(estimate.mean == 400 && estimate.deviation == 200 && estimate.wait == 1200)
    }

    @Test("steady samples shrink the deviation toward zero and the wait toward the sample")
    func steadySamples() {
        var estimate = LatenessEstimate(first: 1000)
        for _ in 0..<100 { estimate.add(1000) }
        #expect(estimate.mean == 1000)
        #expect(estimate.deviation < 10 && estimate.wait < 1040)
    }

    @Test("one late sample moves the mean an eighth of the way and the deviation a quarter")
    func lateSample() {
        var estimate = LatenessEstimate(first: 800)  // mean 800, deviation 400
        estimate.add(1600)
        #expect(estimate.mean == 800 - 100 + 200)
        #expect(estimate.deviation == 400 - 100 + 200)
    }
}
