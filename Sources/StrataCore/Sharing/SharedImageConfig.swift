import Foundation
import StrataRegistry

/// The config blob of a pushed layer: an OCI image config (architecture,
/// os, rootfs diff ids, a label with the key), so that any OCI tool can
/// read it, plus `strata.layers`: the SharedLayer of every layer of the
/// image, bottom first, which carries their input manifests.
struct SharedImageConfig: Codable, Equatable {
    struct RootFS: Codable, Equatable {
        var type: String
        var diffIDs: [String]
        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
    }

    struct Settings: Codable, Equatable {
        var labels: [String: String]
        enum CodingKeys: String, CodingKey { case labels = "Labels" }
    }

    struct Extension: Codable, Equatable {
        var format: Int
        var layers: [SharedLayer]
    }

    var architecture: String
    var os: String
    var rootfs: RootFS
    var config: Settings
    var strata: Extension

    static let keyLabel = "dev.strata.layer.key"

    init(chain: [SharedLayer]) {
        let top = chain.last
        architecture = Self.ociArchitecture(top?.inputs.arch ?? "")
        os = "linux"
        rootfs = RootFS(type: "layers", diffIDs: chain.map(\.diffID))
        config = Settings(labels: [Self.keyLabel: top?.key.hex ?? ""])
        strata = Extension(format: 1, layers: chain)
    }

    func encoded() -> [UInt8] { Array((try? CanonicalJSON.encode(self)) ?? Data()) }

    /// OCI names architectures as Go does.
    static func ociArchitecture(_ arch: String) -> String {
        switch arch {
        case "x86_64": "amd64"
        case "aarch64": "arm64"
        case "i686", "i386": "386"
        case "armv7l", "armhf": "arm"
        default: arch
        }
    }
}
