import AEFormats
import Foundation

/// Planning a codec run: which inputs become which outputs, and which are refused.
extension CodecJob {
    /// The tasks, the inputs that cannot be used (each with its error), with
    /// `skipExisting` the tasks whose output already exists (to be checked, not redone),
    /// and what input folders hold that is not an input (each with its reason; see
    /// `folderInputs`). Throws for problems that concern the whole run (no inputs, a bad
    /// `-o`). No output may be one of `modelFiles` (the bundles the run reads) or `settings.model`.
    public func plan(modelFiles: [String] = []) throws -> (tasks: [Task], refused: [Error], existing: [Task], skipped: [Error]) {
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
            return ([Task(input: .standardStream, output: out, reference: settings.reference)], [], [], [])
        }

        // Expand folders.
        var files: [String] = []
        var refused: [Error] = []
        var skipped: [Error] = []
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
            let found = folderInputs(input)
            files += found.files
            refused += found.refused
            skipped += found.skipped
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
        return (tasks, refused, existing, skipped)
    }

    /// The inputs of the folder `folder` (not recursing; hidden files, named `.*`, are
    /// passed over), the errors of entries whose name claims an input but that cannot be
    /// read as one, and what is skipped, each with its reason. A file whose extension
    /// claims an input (`.png`, `.jpg`...) is an input whatever it holds; any other file
    /// is recognised by its first bytes: an input, the other tool's kind of file (passed
    /// over quietly: outputs written in place sit beside their inputs) or skipped.
    /// Subfolders are skipped; so are FIFOs and devices (they could block the run), which
    /// are errors when their name claims an input.
    func folderInputs(_ folder: String) -> (files: [String], refused: [Error], skipped: [Error]) {
        let conversion = conversion()
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            return ([], [ToolError(path: folder, reason: "cannot list the folder")], [])
        }
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        var files: [String] = [], refused: [Error] = [], skipped: [Error] = []
        // With --shard, only the names of this share (an empty share is no error).
        for name in names.sorted() where !name.hasPrefix(".") && (settings.shard?.contains(name) ?? true) {
            let path = base + name
            let claimed = conversion.inputExtensions.contains((name as NSString).pathExtension.lowercased())
            if FileBytes.kind(of: path).isFolder {
                skipped.append(ToolError(path: path, reason: "skipped: a folder (folders inside an input folder are not searched)"))
            } else if !FileBytes.isRegularFile(path) {
                let error = ToolError(path: path, reason: "is not a regular file (a FIFO, device or socket); skipped")
                if claimed { refused.append(error) } else { skipped.append(error) }
            } else if claimed {
                files.append(path)
            } else if let prefix = FileBytes.prefix(path, count: FileBytes.signatureLength) {
                switch conversion.classify(prefix: prefix) {
                case .input: files.append(path)
                case .counterpart: break
                case .other(let reason): skipped.append(ToolError(path: path, reason: "skipped: \(reason)"))
                }
            } else {
                files.append(path)  // unreadable: reading it reports why
            }
        }
        if files.isEmpty && refused.isEmpty && settings.shard == nil {
            refused.append(ToolError(path: folder, reason: "the folder holds no \(conversion.inputKind)"))
        }
        return (files, refused, skipped)
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

    /// The reference image for `input`: the file given, or FOLDER/<name>.png (or the
    /// first of .jpg, .jpeg, .webp that exists when there is no .png).
    func reference(for input: String) -> String? {
        guard let r = settings.reference else { return nil }
        guard FileBytes.kind(of: r).isFolder else { return r }
        let name = (input as NSString).lastPathComponent
        let stem = (r.hasSuffix("/") ? r : r + "/") + (name.lastIndex(of: ".").map { String(name[..<$0]) } ?? name)
        let found = ["jpg", "jpeg", "webp"].first { FileBytes.kind(of: stem + "." + $0).exists }
        return stem + "." + (FileBytes.kind(of: stem + ".png").exists ? "png" : found ?? "png")
    }
}
