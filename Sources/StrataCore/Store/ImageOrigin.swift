import StrataOS

/// What `strata image import` reads: a directory, or a tar archive in a
/// file or on standard input ("-").
enum ImageOrigin: CustomStringConvertible {
    case directory(String)
    case archive(ArchiveImporter.Source)

    init(_ source: String) throws(StrataError) {
        if source == "-" {
            self = .archive(.standardInput)
            return
        }
        let path = Store.absolute(source)
        guard let status = try? FileStatus.ifExists(path) else {
            throw .input("image source \(path) does not exist; give a root file system directory, a tar archive, or - for standard input")
        }
        switch status.kind {
        case .directory: self = .directory(path)
        case .regular, .fifo, .characterDevice: self = .archive(.file(path))
        default:
            throw .input("image source \(path) is a \(status.kind.rawValue); give a root file system directory, a tar archive, or - for standard input")
        }
    }

    var description: String {
        switch self {
        case .directory(let path): path
        case .archive(let source):
            switch source {
            case .file(let path): path
            case .standardInput: "standard input"
            }
        }
    }
}

/// How `strata image export` (and later layer export) compresses.
public typealias ArchiveCompression = ArchiveExporter.Compression
