import Synchronization

/// Provider requests counted as the journal's flush attributes them, off the request path: by
/// provider, documented route and status, and a histogram of durations per provider, since
/// start (`/_sandbox/metrics`).
final class RequestMetrics: Sendable {
    /// Upper bounds of the duration buckets, in seconds.
    static let bounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Key: Hashable, Sendable {
        let provider: String
        /// The documented route, or nil for a request that matched none (an unknown path, a payer page).
        let route: String?
        let status: Int
    }

    struct Histogram: Sendable {
        /// Per bucket, not cumulative; one more for beyond the last bound.
        var counts = [Int](repeating: 0, count: RequestMetrics.bounds.count + 1)
        var sumMicros = 0
        var count = 0
    }

    struct Counted: Sendable {
        var requests: [Key: Int] = [:]
        var durations: [String: Histogram] = [:]
    }

    private let state = Mutex(Counted())

    /// One flush's requests, counted under one lock. A run of one key (a burst of one call) is
    /// looked up once.
    func count(_ batch: [(key: Key, micros: Int)]) {
        guard !batch.isEmpty else { return }
        state.withLock { state in
            var start = 0
            while start < batch.count {
                let key = batch[start].key
                var end = start + 1
                while end < batch.count && batch[end].key == key { end += 1 }
                state.requests[key, default: 0] += end - start
                var histogram = state.durations.removeValue(forKey: key.provider) ?? Histogram()
                for (_, micros) in batch[start..<end] {
                    let seconds = Double(micros) / 1_000_000
                    histogram.counts[Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count] += 1
                    histogram.sumMicros += micros
                }
                histogram.count += end - start
                state.durations[key.provider] = histogram
                start = end
            }
        }
    }

    var counted: Counted { state.withLock { $0 } }
}
