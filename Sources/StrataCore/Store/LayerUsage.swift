import Foundation
import StrataOS

/// Bookkeeping beside a finished layer (`layers/<key>/usage.json`): how big
/// it is, when and how often it was used, and by which profiles and packages.
/// The layer's content (`upper/`) and `manifest.json` never change; this file
/// is replaced atomically under `locks/usage.lock` on every use.
public struct LayerUsage: Sendable, Codable, Equatable {
    /// Disk usage of `upper/`, measured as du does, when the layer was made.
    public var sizeBytes: UInt64
    public var lastUsed: Date?
    public var useCount: Int
    /// Profile names that used it, most recent last (at most 32).
    public var profiles: [String]
    /// Package (source directory) names that used it, most recent last (at most 32).
    public var packages: [String]
    /// The most recent uses, oldest first (at most 100).
    public var uses: [Use]

    /// One build (or shell) that used the layer.
    public struct Use: Sendable, Codable, Equatable {
        public var at: Date
        public var profile: String
        public var package: String?
    }

    static let remembered = 32
    static let rememberedUses = 100

    enum CodingKeys: String, CodingKey {
        case sizeBytes = "size_bytes"
        case lastUsed = "last_used"
        case useCount = "use_count"
        case profiles, packages, uses
    }

    init(sizeBytes: UInt64) {
        self.sizeBytes = sizeBytes
        useCount = 0
        profiles = []
        packages = []
        uses = []
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sizeBytes = try container.decode(UInt64.self, forKey: .sizeBytes)
        lastUsed = try container.decodeIfPresent(Date.self, forKey: .lastUsed)
        useCount = try container.decode(Int.self, forKey: .useCount)
        profiles = try container.decode([String].self, forKey: .profiles)
        packages = try container.decode([String].self, forKey: .packages)
        uses = try container.decodeIfPresent([Use].self, forKey: .uses) ?? []
    }

    mutating func recordUse(profile: String, package: String?, at date: Date) {
        lastUsed = date
        useCount += 1
        profiles = Self.appending(profile, to: profiles)
        if let package { packages = Self.appending(package, to: packages) }
        uses = Array((uses + [Use(at: date, profile: profile, package: package)]).suffix(Self.rememberedUses))
    }

    private static func appending(_ name: String, to list: [String]) -> [String] {
        Array((list.filter { $0 != name } + [name]).suffix(remembered))
    }
}
