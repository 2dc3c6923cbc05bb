import ArgumentParser
import StrataCore

/// `--compression zstd|gzip|none`, for the commands that write archives.
struct CompressionOption: ParsableArguments {
    @Option(name: .customLong("compression"), help: ArgumentHelp("zstd (default), gzip or none.", valueName: "kind"))
    var name: String = "zstd"

    var value: ArchiveCompression { ArchiveCompression(rawValue: name) ?? .zstd }

    func validate() throws {
        if ArchiveCompression(rawValue: name) == nil {
            throw ValidationError("--compression must be zstd, gzip or none, not '\(name)'")
        }
    }
}
