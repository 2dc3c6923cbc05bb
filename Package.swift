// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Strata",
    // Linux only (overlayfs, mount and user namespaces, openat2): SwiftPM has
    // no Linux platform entry, so none is listed; nothing builds elsewhere.
    products: [
        .library(name: "StrataCore", targets: ["StrataCore"]),
        .executable(name: "strata", targets: ["strata"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // C libraries, as the system provides them.
        .systemLibrary(name: "CMount", pkgConfig: "mount", providers: [.apt(["libmount-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // The only C of our own: fork -> namespaces -> chroot -> exec.
        .target(name: "CStrataSpawn"),
        // Operating-system boundary: mounts, the mount table, namespaces, locks, processes, file trees.
        .target(
            name: "StrataOS",
            dependencies: [
                "CMount", "CArchive", "CStrataSpawn",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The OCI distribution API over libcurl: registries as a shared layer cache.
        .target(
            name: "StrataRegistry",
            dependencies: ["CCurl", "StrataOS"]
        ),
        // The domain: profiles, resolved dependencies, keys, the store, build roots.
        .target(
            name: "StrataCore",
            dependencies: [
                "StrataOS", "StrataRegistry",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // The command line, as a library so that tests can call it.
        .target(
            name: "StrataCommands",
            dependencies: [
                "StrataCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "strata", dependencies: ["StrataCommands"]),
        // `make bench`: strata against cp -a, tar -x, a chroot install and the syscall floor.
        .executableTarget(name: "strata-bench", dependencies: ["StrataCore", "StrataOS"]),
        // Unit tests of pure values and of single modules: they run without root.
        .testTarget(name: "StrataOSTests", dependencies: ["StrataOS"]),
        .testTarget(name: "StrataCoreTests", dependencies: ["StrataCore", "StrataOS"]),
        .testTarget(name: "StrataRegistryTests", dependencies: ["StrataRegistry"]),
        .testTarget(name: "StrataCommandsTests", dependencies: ["StrataCommands"]),
        // The `strata` binary end to end, as root (STRATA_BIN, built by `make test`);
        // they import no module of ours. Skipped, with the reason, when not root.
        .testTarget(name: "StrataIntegrationTests"),
    ],
    swiftLanguageModes: [.v6]
)
