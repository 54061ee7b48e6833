import AEProcess
import AEFormats
import AENet
import ArgumentParser
import Foundation

/// Measures the network library's speed on the reference model and on a
/// fully-convolutional codec model. Build with `-c release`; figures are printed as
/// `key: value` lines for scripts (Benchmarks/peers.py reads them).
struct AEBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aebench",
        abstract: "Benchmark training and inference throughput of the reference autoencoder and a codec model.",
        discussion: "Run as: swift run -c release aebench [--threads 2] [--model all]. Uses random images; speed does not depend on content.",
        version: AECodecVersion.string)

    enum Model: String, ExpressibleByArgument, CaseIterable { case reference, codec, all }

    @Option(name: .customLong("threads"), help: "Worker threads (default: all cores).")
    var threadsOption: Int?  // nil: all cores (an optional, so the help states no machine's count)
    var threads: Int { threadsOption ?? Parallelism.availableCores }
    @Option(name: .customLong("latent-dim"), help: "Latent size.")
    var latentDim = 64
    @Option(name: .customLong("batch-size"), help: "Training batch size.")
    var batchSize = 128
    @Option(name: .customLong("train-images"), help: "Images in the timed training epoch (the seed's 18,000 = 90% of 20,000).")
    var trainImages = 18_000
    @Option(name: .customLong("infer-batch"), help: "Inference batch size.")
    var inferBatch = 256
    @Option(name: .customLong("infer-images"), help: "Images per timed inference run.")
    var inferImages = 25_600
    @Option(help: "Which models to measure: reference (the SVHN autoencoder), codec (5x5 stride-2 convolutions with GDN), or all.")
    var model = Model.reference
    @Option(name: .customLong("codec-batch"), help: "Codec model: training batch of 64x64 patches.")
    var codecBatch = 16
    @Option(name: .customLong("codec-patches"), help: "Codec model: patches in the timed training run.")
    var codecPatches = 320
    @Option(name: .customLong("codec-image-width"), help: "Codec model: width of the image timed through analysis and synthesis.")
    var codecImageWidth = 768
    @Option(name: .customLong("codec-image-height"), help: "Codec model: height of that image.")
    var codecImageHeight = 512
    @Option(name: .customLong("codec-image-runs"), help: "Codec model: timed runs on that image (the median is printed).")
    var codecImageRuns = 3
    @Flag(help: "Small counts, for a quick look.")
    var quick = false
    @Flag(help: "Also time each layer's forward and backward pass at the training batch size.")
    var layers = false
    @Option(help: "The convolutions' engine: builtin (im2col + OpenBLAS, what the codec uses) or onednn (oneDNN's direct kernels, what aetrain trains with by default).")
    var engine: Engine = .builtin
    enum Engine: String, ExpressibleByArgument, CaseIterable { case builtin, onednn }

    func run() throws {
        if engine == .onednn { OpenMPTuning.sleepBetweenCalls() }
        AllocatorTuning.keepFreedMemory()
        Parallelism.useSingleThreadedBLAS()
        print("threads: \(threads)")
        print("engine: \(engine.rawValue)")
        print(String(format: "sgemm_gflops: %.1f", GEMMThroughput.measure(parallelism: Parallelism(threads: threads))))
        let context = engine == .onednn ? try OneDNNContext() : nil
        if model != .codec { try runReference(context) }
        if model != .reference { try runCodec(context) }
        print(String(format: "peak_rss_mb: %.1f", peakResidentMB()))
    }

    /// The reference SVHN autoencoder: training and inference throughput (its convolutions
    /// on oneDNN with a `context`).
    func runReference(_ context: OneDNNContext?) throws {
        let trainCount = quick ? 1_280 : trainImages
        let inferCount = quick ? 2_560 : inferImages
        let model = ReferenceModel.build(latentDim: latentDim, seed: 1, threads: threads)
        if let context { try model.runConvolutionsOnOneDNN(context) }
        var rng = RandomGenerator(seed: 7)
        let poolCount = 2_048
        let data = ImageSet(height: 32, width: 32, channels: 3,
                            pixels: (0..<(poolCount * 3072)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        let flops = FlopCount(model: model)
        print("model_parameters: \(model.parameterCount)")

        // Training: warm up, then one timed epoch of trainCount images.
        var options = TrainingOptions()
        options.batchSize = batchSize
        let trainer = Trainer(model: model, options: options)
        for b in 0..<2 { trainer.trainStep(data.batch((b * batchSize)..<((b + 1) * batchSize))) }
        var done = 0
        let trainStart = Date()
        while done < trainCount {
            let n = min(batchSize, trainCount - done)
            let start = (done % (poolCount - batchSize))
            trainer.trainStep(data.batch(start..<(start + n)))
            done += n
        }
        let trainSeconds = Date().timeIntervalSince(trainStart)
        let trainRate = Double(trainCount) / trainSeconds
        print(String(format: "train_images_per_s: %.1f", trainRate))
        print(String(format: "train_gflops: %.1f", trainRate * flops.training / 1e9))
        print(String(format: "train_peak_rss_mb: %.1f", peakResidentMB()))
        // The trained weights' bits: equal across builds iff an engine change kept training bit-exact.
        print("train_weights_checksum: \(checksum(model.parameters.flatMap(\.value.data)))")

        // Inference at inferBatch.
        func timeInference(_ name: String, flopsPerImage: Double, _ body: (Tensor) -> Void, input: (Int) -> Tensor) {
            body(input(0))  // warm-up
            var processed = 0
            let start = Date()
            while processed < inferCount {
                body(input(processed))
                processed += inferBatch
            }
            let rate = Double(processed) / Date().timeIntervalSince(start)
            print(String(format: "infer_%@_images_per_s: %.1f", name, rate))
            print(String(format: "infer_%@_gflops: %.1f", name, rate * flopsPerImage / 1e9))
        }
        let batches = (0..<4).map { i in data.batch((i * inferBatch % (poolCount - inferBatch))..<((i * inferBatch % (poolCount - inferBatch)) + inferBatch)) }
        let latents = batches.map { model.encode($0) }
        // The reconstruction's bits: equal across builds iff an engine change kept inference bit-exact.
        print("infer_output_checksum: \(checksum(model.forward(batches[0]).data))")
        timeInference("encoder", flopsPerImage: flops.encoder, { _ = model.encode($0) },
                      input: { batches[($0 / inferBatch) % batches.count] })
        timeInference("decoder", flopsPerImage: flops.decoder, { _ = model.decode($0) },
                      input: { latents[($0 / inferBatch) % latents.count] })
        timeInference("autoencoder", flopsPerImage: flops.encoder + flops.decoder, { _ = model.forward($0) },
                      input: { batches[($0 / inferBatch) % batches.count] })

        if layers { profileLayers(model, batch: data.batch(0..<batchSize)) }
    }

    /// FNV-1a over the values' bit patterns, in hex.
    func checksum(_ values: [Float]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in values { hash = (hash ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// Peak resident memory of this process so far, in MiB.
    func peakResidentMB() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

extension AEBench {
    /// CPU time of the whole process (all threads): with other programs running,
    /// a fairer measure than wall time.
    func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// CPU milliseconds per call of each layer's forward and backward pass.
    func profileLayers(_ model: Autoencoder, batch: Tensor, repeats: Int = 10) {
        var x = batch
        print("layer_profile: layer forward_cpu_ms backward_cpu_ms (input \(batch.shape), summed over threads)")
        var inputs: [Tensor] = []
        for layer in model.layers { inputs.append(x); x = layer.forward(x) }
        for (layer, input) in zip(model.layers, inputs) {
            let y = layer.forward(input)
            let t0 = cpuSeconds()
            for _ in 0..<repeats { _ = layer.forward(input) }
            let forward = (cpuSeconds() - t0) / Double(repeats) * 1000
            let t1 = cpuSeconds()
            for _ in 0..<repeats { _ = layer.backward(y, needInputGradient: layer !== model.layers[0]) }
            let backward = (cpuSeconds() - t1) / Double(repeats) * 1000
            print(String(format: "  %-22@ %8.2f %8.2f", layer.name, forward, backward))
        }
    }
}

/// Multiply-add FLOPs (2 per MAC) of the reference model's convolutions and dense layers, per image.
struct FlopCount {
    let encoder: Double
    let decoder: Double
    /// Forward + backward: about 3x forward, less the first layer's unneeded input gradient.
    let training: Double

    init(model: Autoencoder) {
        let encoderFlops = LayerFlops(layers: model.encoder.layers, imageShape: model.imageShape)
        encoder = encoderFlops.total
        decoder = LayerFlops(layers: model.decoder.layers, imageShape: model.decoder.inputShape).total
        training = 3 * (encoder + decoder) - (encoderFlops.forward.first ?? 0)
    }
}

AEBench.mainCheckingArguments()
