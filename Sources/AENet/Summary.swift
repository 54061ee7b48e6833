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

    /// 598211 -> "598,211"; -1234 -> "-1,234".
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = n < 0 ? "-" : ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }
}
