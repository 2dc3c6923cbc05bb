import Testing
@testable import StrataOS

/// The option strings strata hands to mount(2), checked without mounting:
/// a wrong option here would show up only as a failed or leaky mount as root.
@Suite struct MountOptionsTests {
    @Test func anOverlayStacksItsLowersTopmostFirstWithEveryFeatureThatWouldTieALayerToItsMountOff() {
        let mount = Mount.overlay(lower: ["/s/layers/d/upper", "/s/images/base/rootfs"], upper: "/s/b/upper",
                                  work: "/s/b/work", target: "/s/b/root")
        #expect(mount.kind == .overlay)
        #expect(mount.options == [
            "lowerdir=/s/layers/d/upper:/s/images/base/rootfs", "upperdir=/s/b/upper", "workdir=/s/b/work",
            "index=off", "metacopy=off", "redirect_dir=off",
        ])
        #expect(!mount.options.contains("volatile"))
    }

    @Test func onlyAThrowawayOverlayIsVolatile() {
        let scratch = Mount.overlay(lower: ["/l"], upper: "/u", work: "/w", target: "/t", volatile: true)
        #expect(scratch.options.last == "volatile")
    }

    @Test(arguments: [
        ("/plain/path", "/plain/path"),
        ("/a:b", "/a\\:b"),
        ("/a,b", "/a\\,b"),
        ("/back\\slash", "/back\\\\slash"),
        ("/all:,\\", "/all\\:\\,\\\\"),
    ])
    func separatorsInAPathAreEscaped(path: String, escaped: String) {
        #expect(escapeOverlayPath(path) == escaped)
        let mount = Mount.overlay(lower: [path, path], upper: path, work: path, target: "/t")
        #expect(mount.options[0] == "lowerdir=\(escaped):\(escaped)")
        #expect(mount.options[1] == "upperdir=\(escaped)")
    }

    @Test func theRootsDevicesAndTerminalsAreItsOwn() {
        #expect(Mount.devpts(at: "/r/dev/pts").options == ["newinstance", "ptmxmode=0666", "mode=0620"])
        #expect(Mount.deviceTmpfs(at: "/r/dev").options == ["mode=755"])
        #expect(Mount.tmpfs(at: "/r/tmp").options == ["mode=1777"])
        #expect(Mount.tmpfs(at: "/r/x", mode: "700").options == ["mode=700"])
    }

    @Test func aBindCarriesNoOptionsAndSaysWhetherItIsReadOnly() {
        let bind = Mount.bind("/src", to: "/r/build/src", readOnly: true)
        #expect(bind.kind == .bind && bind.readOnly && bind.options.isEmpty)
        #expect(bind.description == "bind /src on /r/build/src ro")
        #expect(Mount.tmpfs(at: "/r/tmp").description == "tmpfs tmpfs on /r/tmp (mode=1777)")
    }
}
