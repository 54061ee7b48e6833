import AEBase
import AEProcess
import AECodec
import AEFormats
import AENet
import Foundation

/// Shows training progress: a bar per epoch with images/second, loss and ETA on
/// a terminal; one line per epoch otherwise; nothing when quiet. Epoch-end work
/// (checkpoints, history files) is chained through `onEpochEnd`.
public final class TrainingProgress: TrainingObserver {
    private let output: TerminalOutput
    private let onEpochEnd: ((EpochRecord) throws -> Void)?
    private let shouldStop: () -> Bool
    private var epoch = 0, epochs = 0, batches = 0
    private var epochStart = Date()
    private var lastDraw = Date.distantPast

    /// `shouldStop` is polled after every batch (e.g. a Ctrl-C flag); when it
    /// returns true, training stops with `TrainingInterrupted`.
    public init(output: TerminalOutput, shouldStop: @escaping () -> Bool = { false },
                onEpochEnd: ((EpochRecord) throws -> Void)? = nil) {
        self.output = output
        self.shouldStop = shouldStop
        self.onEpochEnd = onEpochEnd
    }

    public func trainingWillStartEpoch(_ epoch: Int, of epochs: Int, batches: Int) {
        self.epoch = epoch
        self.epochs = epochs
        self.batches = batches
        epochStart = Date()
        lastDraw = .distantPast
    }

    public func trainingDidFinishBatch(_ batch: Int, of batches: Int, loss: Double, imagesPerSecond: Double) throws {
        if shouldStop() { throw TrainingInterrupted(epoch: epoch + 1) }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let done = Double(batch + 1) / Double(batches)
        let eta = now.timeIntervalSince(epochStart) / done * (1 - done)
        output.status(String(format: "Epoch %d/%d %@ %d/%d  %.0f img/s  loss %.6f  ETA %@",
                             epoch + 1, epochs, TerminalOutput.bar(fraction: done), batch + 1, batches,
                             imagesPerSecond, loss, TerminalOutput.duration(eta)))
    }

    public func trainingDidFinishEpoch(_ record: EpochRecord) throws {
        var text = String(format: "Epoch %d/%d  %.1fs  %.0f img/s  loss %.6f",
                          record.epoch, epochs, record.seconds, record.imagesPerSecond, record.trainLoss)
        if let v = record.validationLoss { text += String(format: "  val_loss %.6f", v) }
        if let mse = record.trainMSE, let kl = record.trainKL {
            text += String(format: "  (mse %.6f, KL %.2f nats", mse, kl)
            if let vm = record.validationMSE, let vk = record.validationKL {
                text += String(format: "; val mse %.6f = %.2f dB, KL %.2f nats", vm, PSNR.decibels(mse: vm), vk)
            }
            text += ")"
        }
        if let mse = record.trainMSE, let bpp = record.trainBitsPerPixel {
            text += String(format: "  (mse %.6f, %.3f bpp", mse, bpp)
            if let vm = record.validationMSE, let vb = record.validationBitsPerPixel {
                text += String(format: "; val mse %.6f = %.2f dB, %.3f bpp", vm, PSNR.decibels(mse: vm), vb)
            }
            text += ")"
        }
        output.line(text)
        try onEpochEnd?(record)
    }
}

/// Training stopped by request (Ctrl-C, SIGTERM) between two batches.
public struct TrainingInterrupted: Error, CustomStringConvertible {
    public let epoch: Int
    public var description: String { "interrupted during epoch \(epoch)" }
}
