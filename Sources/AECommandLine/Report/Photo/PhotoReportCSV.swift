import AECodec
import Foundation

/// The photo report's figures for scripts: `figures.csv` (the curves: means over the photos)
/// and `images.csv` (every photo at every point of ours and every peer quality).
enum PhotoReportCSV {
    /// One row per point of ours (with each peer's means at the same size) and per peer quality.
    static func figures(_ e: PhotoEvaluation) -> String {
        let peerColumns = e.peers.flatMap { ["\($0.rawValue)_same_size_bpp", "\($0.rawValue)_same_size_psnr_db"] }
        var s = (["codec", "curve", "point", "quality", "photos", "mean_bytes", "mean_bpp", "mean_psnr_db"] + peerColumns)
            .joined(separator: ",") + "\n"
        for (c, curve) in e.curves.enumerated() {
            for (p, point) in curve.points.enumerated() {
                let m = e.mean(curve: c, point: p)
                let peers = e.peers.indices.flatMap { k -> [String] in
                    let same = e.sameSize(peer: k, curve: c, point: p)
                    return [bpp(same.bitsPerPixel), db(same.psnr)]
                }
                s += (["ours", field(curve.name), field(point.label), "", String(e.photos.count),
                       String(format: "%.2f", m.bytes), bpp(m.bitsPerPixel), db(m.psnr)] + peers).joined(separator: ",") + "\n"
            }
        }
        for (k, peer) in e.peers.enumerated() {
            for (q, quality) in e.qualities[k].enumerated() {
                let m = e.mean(peer: k, quality: q)
                s += ([peer.rawValue, peer.rawValue, "", String(quality), String(e.photos.count),
                       String(format: "%.2f", m.bytes), bpp(m.bitsPerPixel), db(m.psnr)]
                      + Array(repeating: "", count: peerColumns.count)).joined(separator: ",") + "\n"
            }
        }
        return s
    }

    /// One row per photo and point of ours (with the quality each peer takes at the same
    /// size) and per photo and peer quality.
    static func images(_ e: PhotoEvaluation) -> String {
        let peerColumns = e.peers.flatMap {
            ["\($0.rawValue)_same_size_quality", "\($0.rawValue)_same_size_bytes", "\($0.rawValue)_same_size_psnr_db"]
        }
        var s = (["image", "width", "height", "codec", "curve", "point", "quality", "bytes", "bpp", "psnr_db"] + peerColumns)
            .joined(separator: ",") + "\n"
        for m in e.photos {
            let photo = [field(m.name), String(m.width), String(m.height)]
            for (c, curve) in e.curves.enumerated() {
                for (p, point) in curve.points.enumerated() {
                    let o = m.ours[c][p]
                    let peers = e.peers.indices.flatMap { k -> [String] in
                        let q = m.nearestQuality(peer: k, bytes: o.bytes)
                        return [String(e.qualities[k][q]), String(m.peers[k][q].bytes), db(m.peers[k][q].psnr)]
                    }
                    s += (photo + ["ours", field(curve.name), field(point.label), "", String(o.bytes),
                                   bpp(m.bitsPerPixel(o.bytes)), db(o.psnr)] + peers).joined(separator: ",") + "\n"
                }
            }
            for (k, peer) in e.peers.enumerated() {
                for (q, quality) in e.qualities[k].enumerated() {
                    let o = m.peers[k][q]
                    s += (photo + [peer.rawValue, peer.rawValue, "", String(quality), String(o.bytes),
                                   bpp(m.bitsPerPixel(o.bytes)), db(o.psnr)]
                          + Array(repeating: "", count: peerColumns.count)).joined(separator: ",") + "\n"
                }
            }
        }
        return s
    }

    private static func bpp(_ v: Double) -> String { String(format: "%.5f", v) }
    private static func db(_ v: Double) -> String { String(format: "%.4f", v) }

    /// A CSV field: quoted (quotes doubled) when it holds a comma, quote or line break.
    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
