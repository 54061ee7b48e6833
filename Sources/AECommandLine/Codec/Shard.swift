/// `--shard K/N`: the share of a run's files that job K of N takes (K from 1 to N), so
/// that N jobs (a Slurm array, Kubernetes indexed jobs, GNU parallel) convert a collection
/// together with no coordinator: every file goes to exactly one shard.
///
/// A file's shard is fixed by a hash of its name as the run sees it (within its input
/// folder, or the path as given), not by its place in a sorted list: adding or removing
/// files never moves the others to another shard, so a job rerun with `--skip-existing`
/// after the collection grew finds its earlier outputs. The hash is FNV-1a (64 bits) of
/// the name's UTF-8 bytes, the same on every machine and run; the shards' sizes are then
/// about equal rather than exactly so.
public struct Shard: Equatable, Sendable {
    /// 1...count.
    public let index: Int
    public let count: Int

    /// The most shards a run may be split into.
    public static let maxCount = 1_000_000

    /// Parses "K/N" (1 <= K <= N <= `maxCount`); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]),
              (1...Self.maxCount).contains(n), (1...n).contains(k) else { return nil }
        index = k
        count = n
    }

    /// Whether the file named `name` (relative to its input folder) belongs to this shard.
    public func contains(_ name: String) -> Bool {
        Int(Self.hash(name) % UInt64(count)) + 1 == index
    }

    /// FNV-1a, 64 bits, of the UTF-8 bytes of `name`.
    static func hash(_ name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }
}
