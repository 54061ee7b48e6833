import AEBase     // the quality metrics
import AECodec    // models to codecs: images to latents and back
import AEFormats  // files: image bytes, latent files, built-in models

// CodecExample IN OUT.png: the image IN (PNG, JPEG or WebP) to a latent file with the
// built-in model svhn-64-rd, and the latent file back to pixels, written as OUT.png.
let (input, output) = (CommandLine.arguments[1], CommandLine.arguments[2])
let image = try CodecImage.decode(try FileBytes.read(input), path: input)
let codec = try EntropyCodec(bundle: try EmbeddedModels.bundle(named: "svhn-64-rd")!)
let latentFile = try codec.encode(image).encoded()  // the bytes of a .ael file
let decoded = try codec.decode(try CodedLatentFile.decode(latentFile))
try AtomicFile.store(try decoded.encoded(), at: output, force: false)
let planes = { (i: PNGImage) in ImagePlane.colourPlanes(pixels: i.pixels, width: i.width, height: i.height, channels: i.channels) }
print("\(input): \(latentFile.count) bytes of latents, SSIM \(SSIM.index(planes(image.image), planes(decoded)) ?? .nan)")
