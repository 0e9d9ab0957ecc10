import HTTPServer
#if canImport(Glibc)
import Glibc
#endif

/// Raises the soft open-files limit so the connection cap, not the descriptor limit, is what
/// bounds connections (each connection is one descriptor; the store and listeners need a few).
enum FileLimit {
    static func raise(toServe connections: Int, logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = rlim_t(connections + 64)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = min(wanted, limit.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < wanted {
            logger.warning(
                "open-files limit is \(limit.rlim_cur): fewer than --max-connections \(connections) connections "
                + "can be served"
            )
        }
    }
}
