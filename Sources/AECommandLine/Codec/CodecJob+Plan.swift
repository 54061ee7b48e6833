import AEFormats
import Foundation

/// Planning a codec run: which inputs become which outputs, and which are refused.
extension CodecJob {
    /// The tasks, the inputs that cannot be used (each with its error), and with
    /// `skipExisting` the tasks whose output already exists (to be checked, not redone).
    /// Throws for problems that concern the whole run (no inputs, a bad `-o`). No output
    /// may be one of `modelFiles` (the bundles the run reads) or `settings.model`.
    public func plan(modelFiles: [String] = []) throws -> (tasks: [Task], refused: [Error], existing: [Task]) {
        let inputs = settings.inputs
        guard !inputs.isEmpty else { throw ToolError(path: "INPUT", reason: "no input files given") }
        if inputs.contains("-") {
            if settings.shard != nil {
                throw CodecUsageError(option: "--shard", reason: "takes a share of files and folders, not of standard input")
            }
            guard inputs.count == 1 else {
                throw ToolError(path: "-", reason: "standard input can only be the single input")
            }
            let out: Endpoint
            if let o = settings.output, o != "-" {
                if FileBytes.kind(of: o).isFolder || o.hasSuffix("/") {
                    throw ToolError(path: o, reason: "is a folder: name the output file for standard input")
                }
                if let id = FileBytes.identity(of: o), readFileIdentities(files: [], modelFiles: modelFiles).contains(id) {
                    throw ToolError(path: o, reason: "is read by this run (the reference or the model); refusing to overwrite it")
                }
                out = .file(o)
            } else {
                out = .standardStream
            }
            return ([Task(input: .standardStream, output: out, reference: settings.reference)], [], [])
        }

        // Expand folders.
        var files: [String] = []
        var refused: [Error] = []
        var sawFolder = false
        // With --shard, only the files of this share (a folder's files by their name in it).
        let inShard = { (name: String) in settings.shard?.contains(name) ?? true }
        for input in inputs {
            let kind = FileBytes.kind(of: input)
            guard kind.isFolder else {
                if inShard(input) { files.append(input) }
                continue
            }
            sawFolder = true
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: input)
            } catch {
                refused.append(ToolError(path: input, reason: "cannot list the folder"))
                continue
            }
            let base = input.hasSuffix("/") ? input : input + "/"
            let all = names.filter {
                !$0.hasPrefix(".") && ($0 as NSString).pathExtension.lowercased() == conversion().inputExtension
                    && !FileBytes.kind(of: base + $0).isFolder
            }.sorted()
            let named = all.filter(inShard)
            // A FIFO or device could block the run or never end: named, not read.
            let matching = named.filter { FileBytes.isRegularFile(base + $0) }
            for name in named where !matching.contains(name) {
                refused.append(ToolError(path: base + name, reason: "is not a regular file (a FIFO, device or socket); skipped"))
            }
            if all.isEmpty {
                refused.append(ToolError(path: input, reason: "the folder holds no .\(conversion().inputExtension) files"))
            }
            files += matching.map { base + $0 }
        }

        let several = files.count + refused.count > 1 || sawFolder || settings.shard != nil
        var outputFolder: String? = nil
        if let o = settings.output {
            if several {
                guard o != "-" else { throw ToolError(path: "-", reason: "several outputs cannot go to standard output") }
                outputFolder = o
            } else if o == "-" {
                outputFolder = nil
            } else if FileBytes.kind(of: o).isFolder || o.hasSuffix("/") {
                outputFolder = o
            }
        }
        // With nothing to convert the refusals say it all.
        if let folder = outputFolder, !files.isEmpty {
            let kind = FileBytes.kind(of: folder)
            let given = files.count + refused.count > 1 ? "with several inputs" : "with a folder as input"
            if kind.exists && !kind.isFolder {
                throw ToolError(path: folder, reason: "is a file: \(given), -o names an output folder")
            }
            if !kind.exists && (folder as NSString).pathExtension.lowercased() == conversion().outputExtension {
                throw ToolError(path: folder, reason: "\(given), -o names an output folder, not a .\(conversion().outputExtension) file")
            }
        }

        var tasks: [Task] = []
        var existing: [Task] = []
        var claimed: [String: String] = [:]  // output identity -> input that claimed it
        // Never write over a file this run reads: inputs, references, the model bundle.
        let inputIDs = readFileIdentities(files: files, modelFiles: modelFiles)
        for input in files {
            let output: Endpoint
            if let folder = outputFolder {
                let base = folder.hasSuffix("/") ? folder : folder + "/"
                output = .file(base + replacingExtension(of: (input as NSString).lastPathComponent))
            } else if let o = settings.output, !several {
                output = o == "-" ? .standardStream : .file(o)
            } else {
                output = .file(replacingExtension(of: input))
            }
            if case .file(let path) = output {
                if let id = FileBytes.identity(of: path), inputIDs.contains(id) {
                    refused.append(ToolError(path: input, reason: "the output \(path) is read by this run (an input, a reference or the model); refusing to overwrite it"))
                    continue
                }
                let key = FileBytes.identity(of: path) ?? URL(fileURLWithPath: path).standardizedFileURL.path
                if let other = claimed[key] {
                    refused.append(ToolError(path: input, reason: "its output \(path) is also the output of \(other)"))
                    continue
                }
                claimed[key] = input
                if !settings.force && FileBytes.kind(of: path).exists {
                    if settings.skipExisting {
                        existing.append(Task(input: .file(input), output: output, reference: reference(for: input)))
                        continue
                    }
                    refused.append(ToolError(path: path, reason: FileErrorText.alreadyExists))
                    continue
                }
            }
            tasks.append(Task(input: .file(input), output: output, reference: reference(for: input)))
        }
        // The output folder is made only when something will go into it.
        if let folder = outputFolder, !tasks.isEmpty, !FileBytes.kind(of: folder).exists {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw ToolError(path: folder, reason: "cannot create the output folder")
            }
        }
        return (tasks, refused, existing)
    }

    /// The identities of every file the run reads: the inputs, their references, a
    /// model given as a file and `modelFiles`.
    func readFileIdentities(files: [String], modelFiles: [String] = []) -> Set<String> {
        var read = files + modelFiles
        read += files.compactMap { reference(for: $0) }
        if let r = settings.reference { read.append(r) }
        if let m = settings.model { read.append(m) }
        return Set(read.compactMap { FileBytes.identity(of: $0) })
    }

    /// `name.png` -> `name.ael` (the last extension replaced, or the new one appended).
    func replacingExtension(of path: String) -> String {
        let name = (path as NSString).lastPathComponent
        let folder = String(path.dropLast(name.count))
        let dot = name.lastIndex(of: ".")
        let stem = dot.map { $0 == name.startIndex ? name : String(name[..<$0]) } ?? name
        return folder + stem + "." + conversion().outputExtension
    }

    /// The reference image for `input`: the file given, or FOLDER/<name>.png.
    func reference(for input: String) -> String? {
        guard let r = settings.reference else { return nil }
        guard FileBytes.kind(of: r).isFolder else { return r }
        let name = (input as NSString).lastPathComponent
        let stem = name.lastIndex(of: ".").map { String(name[..<$0]) } ?? name
        return (r.hasSuffix("/") ? r : r + "/") + stem + ".png"
    }
}
