/// How numbers read in the tools' text: grouped digits and hex.
public enum NumberText {
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
