import Foundation

/// The process's limit on open files (`RLIMIT_NOFILE`). A coordinator holds a descriptor per worker
/// connection and a load generator two per simulated worker, beyond the 1,024 many systems set as the soft
/// limit; the hard limit is usually far higher, and raising the soft one up to it needs no privilege.
public enum FileLimit {
    /// Raises the soft limit to the hard one (as servers do at start) and returns the limit now in force.
    @discardableResult
    public static func raise() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(RLIMIT_NOFILE_VALUE, &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }

    /// The soft limit now in force.
    public static var current: UInt64 {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 1024 }
        return UInt64(limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
    #endif
}
