import CFuzzerDriver
import FuzzChecks
import Glibc

// libFuzzer target for the reader that FuzzChecks' `FuzzImageMetadata` describes (its variants
// and checks are shared with FuzzRegressionTests; options: Scripts/fuzz.sh, Fuzz/README.md).
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    fuzz(data, size, variants: FuzzImageMetadata.variants, check: FuzzImageMetadata.check)
})
