import CFuzzerDriver
import FuzzChecks
import Glibc

// libFuzzer target for the reader that FuzzChecks' `FuzzImage` describes (its variants
// and checks are shared with FuzzRegressionTests; options: Scripts/fuzz.sh, Fuzz/README.md).
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    fuzz(data, size, variants: FuzzImage.variants, check: FuzzImage.check)
})
