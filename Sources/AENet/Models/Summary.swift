import AEBase

/// A Keras-style summary table: layer (type), output shape, parameter count.
public enum Summary {
    public static func table(for model: Autoencoder, name: String = "autoencoder") -> String {
        let rule = String(repeating: "_", count: 65)
        let double = String(repeating: "=", count: 65)
        var lines = ["Model: \"\(name)\"", rule,
                     row("Layer (type)", "Output Shape", "Param #"), double]
        var first = true
        lines.append(row("input_layer (InputLayer)", shape(model.imageShape), "0"))
        for layer in model.layers {
            if !first { lines.append("") }
            first = false
            lines.append(row("\(layer.name) (\(layer.kind))", shape(layer.outputShape),
                             grouped(layer.parameterCount)))
        }
        lines.append(double)
        lines.append("Trainable params: \(grouped(model.parameterCount))")
        lines.append("Non-trainable params: 0")
        lines.append("Total params: \(grouped(model.parameterCount))")
        return lines.joined(separator: "\n")
    }

    static func row(_ a: String, _ b: String, _ c: String) -> String {
        " " + pad(a, 28) + pad(b, 26) + c
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    static func shape(_ dims: [Int]) -> String {
        "(None, " + dims.map { $0 == anySize ? "None" : String($0) }.joined(separator: ", ") + ")"
    }

    static func grouped(_ n: Int) -> String { NumberText.grouped(n) }
}
