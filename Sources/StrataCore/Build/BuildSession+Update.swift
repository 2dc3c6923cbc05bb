import Foundation
import StrataOS

extension BuildSession {
    /// `strata update`: runs `[update] run` in an overlay over the base image,
    /// then `[update] state` in the same root. The layer's key covers the
    /// parent, the recipe and the printed state: when the state is what it
    /// was, the key is too, the new upper is discarded and every deps layer
    /// built on the update layer stays valid.
    public func update() throws(StrataError) -> UpdateReport {
        guard let update = profile.update else {
            throw .input("\(profile.path) has no [update] table; add one with run and state to use 'strata update'")
        }
        held.append(try lock(images.lockPath(profile.base.image), .shared, what: "image \(profile.base.image)"))
        let image = try images.inspect(profile.base.image)
        let base = baseInputs(of: image).key
        // Digested before the command runs: the key describes what it ran with.
        let mounts = try mountInputs()
        var timings = UpdateReport.Timings()
        var clock = Stopwatch()

        let (pending, state) = try fillNewLayer(over: [images.rootfs(image.name)]) { root throws(StrataError) -> [UInt8] in
            let run = IsolatedCommand(root: root.path, arguments: ["/bin/sh", "-c", update.run],
                                      environment: environment(), network: true,
                                      userNamespace: root.userNamespace)
            logger.info("updating: \(update.run)")
            let status = try during("run the update command") { try run.start(stdout: 2).wait() }
            try StrataError.checkInterruption()
            guard status == 0 else {
                throw StrataError(.dependencies, "the [update] run command of \(profile.path) exited with status \(status); the partial update layer was discarded. Its messages are above")
            }
            timings.update = clock.elapsedMilliseconds
            clock = Stopwatch()
            var stateCommand = run
            stateCommand.arguments = ["/bin/sh", "-c", update.state]
            let result = try during("run the state command") { try stateCommand.runCollectingOutput() }
            try StrataError.checkInterruption()
            guard result.status == 0 else {
                throw StrataError(.dependencies, "the [update] state command of \(profile.path) exited with status \(result.status); the update layer was discarded")
            }
            timings.state = clock.elapsedMilliseconds
            return result.output
        }

        clock = Stopwatch()
        let inputs = InputManifest.update(parent: base, imageDigest: image.digest, profile: profile, update: update,
                                          mounts: mounts, state: String(decoding: state, as: UTF8.self))
        let key = inputs.key
        let explanation = layers.exists(key) ? nil : Explanation.forMiss(inputs, mountEntries: try mountEntries(), in: layers)
        let layerLock = try lock(layers.lockPath(key), .exclusive, what: "update layer \(key.short)")
        let created = !layers.exists(key)
        if created {
            try commit(pending, key: key, inputs: inputs, mountEntries: try mountEntries())
        } else {
            layers.discard(pending)
        }
        layerLock.unlock()
        timings.layer = clock.elapsedMilliseconds

        let chain = try updateChain(base: base, update: update)
        let old = UpdatePointer.read(store: store, chain: chain)
        let changed = old?.key != key
        try UpdatePointer(key: key, checked: Date(), previous: changed ? old?.key : old?.previous).write(store: store, chain: chain)
        let lines = String(decoding: state, as: UTF8.self).split(separator: "\n").count
        return UpdateReport(profile: profile.name, key: key, created: created, changed: changed,
                            previous: changed ? old?.key : old?.previous, stateLines: lines,
                            explanation: explanation, timings: timings)
    }
}
