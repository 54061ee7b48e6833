import AENet
import XCTest

/// The latent probe's classifiers: softmax cross-entropy against the numpy reference and
/// finite differences; softmax regression and k-NN near 100% on a separable set and near
/// chance when the training labels are shuffled.
final class ProbeTests: XCTestCase {
    func testSoftmaxCrossEntropyMatchesTheReference() throws {
        let ref = try ReferenceCase("softmax_cross_entropy")
        let labels = ref["labels"].data.map { UInt8($0) }
        let (loss, gradient) = SoftmaxCrossEntropy.lossAndGradient(logits: ref["logits"], labels: labels)
        XCTAssertEqual(loss, ref["loss"].data[0], accuracy: 1e-6)
        assertClose(gradient, ref["grad_logits"], tolerance: 1e-6, "grad_logits")
    }

    func testSoftmaxCrossEntropyGradientMatchesFiniteDifferences() {
        var rng = RandomGenerator(seed: 5)
        let logits = randomTensor([3, 6], &rng, in: -40, 40)  // large scores: the max is subtracted
        let labels: [UInt8] = [0, 5, 2]
        let (loss, gradient) = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels)
        XCTAssertTrue(loss.isFinite)
        let h: Float = 1e-2
        for i in 0 ..< logits.count {
            var up = logits, down = logits
            up.data[i] += h
            down.data[i] -= h
            let numeric = (SoftmaxCrossEntropy.lossAndGradient(logits: up, labels: labels).loss
                - SoftmaxCrossEntropy.lossAndGradient(logits: down, labels: labels).loss) / (2 * h)
            XCTAssertEqual(gradient.data[i], numeric, accuracy: 2e-3, "logit \(i)")
        }
        XCTAssertEqual(SoftmaxCrossEntropy.predictions(Tensor(shape: [2, 3], data: [0, 2, 1, 5, 5, 1])), [1, 0])
    }

    /// `count` points in `d` dimensions around one of `classes` well separated centres.
    private func clusters(_ count: Int, d: Int, classes: Int, seed: UInt64) -> (Tensor, [UInt8]) {
        var rng = RandomGenerator(seed: 99)
        let centres = (0 ..< classes).map { _ in (0 ..< d).map { _ in 4 * rng.nextGaussian() } }
        rng = RandomGenerator(seed: seed)
        var x = Tensor(zeros: [count, d]), labels: [UInt8] = []
        for r in 0 ..< count {
            let c = rng.nextInt(below: classes)
            labels.append(UInt8(c))
            for j in 0 ..< d { x.data[r * d + j] = centres[c][j] + rng.nextGaussian() }
        }
        return (x, labels)
    }

    /// `count` standard normal points in `d` dimensions, labelled by the largest of
    /// `classes` fixed random linear scores, keeping only points whose largest score
    /// leads the next by at least `margin` (linearly separable with room to spare), the
    /// same number of each class (so chance is 1 / classes).
    private func linear(_ count: Int, d: Int, classes: Int, seed: UInt64, margin: Float = 1) -> (Tensor, [UInt8]) {
        var rng = RandomGenerator(seed: 77)
        let w = (0 ..< classes).map { _ in (0 ..< d).map { _ in rng.nextGaussian() } }
        rng = RandomGenerator(seed: seed)
        var data: [Float] = [], labels: [UInt8] = []
        while labels.count < count {
            let x = (0 ..< d).map { _ in rng.nextGaussian() }
            let scores = w.map { row in zip(row, x).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
            let ranked = scores.indices.sorted { scores[$0] > scores[$1] }
            guard scores[ranked[0]] - scores[ranked[1]] >= margin,
                  labels.filter({ $0 == ranked[0] }).count < count / classes else { continue }
            data += x
            labels.append(UInt8(ranked[0]))
        }
        return (Tensor(shape: [count, d], data: data), labels)
    }

    func testSeparableClassesAreLearned() {
        let classes = 5
        // Linearly separable: the softmax regression finds the separating scores.
        let (trainX, trainY) = linear(1000, d: 8, classes: classes, seed: 1)
        let (testX, testY) = linear(500, d: 8, classes: classes, seed: 2)
        let scaling = FeatureScaling(fitting: trainX)
        var options = SoftmaxRegression.Options()
        options.epochs = 80
        options.l2 = 0
        let regression = SoftmaxRegression(features: 8, classes: classes, seed: 3)
        let losses = regression.fit(scaling.apply(trainX), labels: trainY, options: options)
        XCTAssertLessThan(losses.last!, 0.2 * losses.first!)
        XCTAssertGreaterThanOrEqual(classificationAccuracy(regression.predict(scaling.apply(testX)), testY), 0.99)

        // Separate clusters: the nearest neighbours are of the same class.
        let (clusterX, clusterY) = clusters(600, d: 12, classes: classes, seed: 1)
        let (queryX, queryY) = clusters(400, d: 12, classes: classes, seed: 2)
        let knn = NearestNeighbours(training: clusterX, labels: clusterY, classes: classes)
        XCTAssertGreaterThanOrEqual(classificationAccuracy(knn.predict(queryX, k: 5), queryY), 0.99)
        XCTAssertEqual(knn.predict(queryX, k: 5, parallelism: Parallelism(threads: 2)), knn.predict(queryX, k: 5))
    }

    /// The same features with the training labels shuffled: nothing to learn, chance
    /// accuracy (1/5; binomial standard deviation 0.018 on 500 test points).
    func testShuffledLabelsGiveChance() {
        let classes = 5
        let (trainX, trainY) = linear(1000, d: 8, classes: classes, seed: 1)
        let (testX, testY) = linear(500, d: 8, classes: classes, seed: 2)
        var shuffled = trainY
        var rng = RandomGenerator(seed: 8)
        rng.shuffle(&shuffled)
        let scaling = FeatureScaling(fitting: trainX)
        var options = SoftmaxRegression.Options()
        options.epochs = 40
        let blind = SoftmaxRegression(features: 8, classes: classes, seed: 3)
        blind.fit(scaling.apply(trainX), labels: shuffled, options: options)
        let chance = 1.0 / Double(classes)
        XCTAssertEqual(classificationAccuracy(blind.predict(scaling.apply(testX)), testY), chance, accuracy: 0.06)
        let blindKNN = NearestNeighbours(training: scaling.apply(trainX), labels: shuffled, classes: classes)
        XCTAssertEqual(classificationAccuracy(blindKNN.predict(scaling.apply(testX), k: 5), testY), chance, accuracy: 0.06)
    }

    func testNearestNeighbourVotesByHand() {
        // On a line: class 0 at 0, 1, 2; class 1 at 10, 11; class 2 at 3.
        let knn = NearestNeighbours(training: Tensor(shape: [6, 1], data: [0, 1, 2, 10, 11, 3]),
                                    labels: [0, 0, 0, 1, 1, 2], classes: 3)
        XCTAssertEqual(knn.predict(Tensor(shape: [3, 1], data: [2.9, 9, 6.6]), k: 1), [2, 1, 1])
        XCTAssertEqual(knn.predict(Tensor(shape: [2, 1], data: [2.9, 9]), k: 3), [0, 1])
        // k = 2 between 3 (class 2) and 10 (class 1): a 1-1 tie; the nearer wins.
        XCTAssertEqual(knn.predict(Tensor(shape: [2, 1], data: [6.4, 6.6]), k: 2), [2, 1])
        let scaling = FeatureScaling(fitting: Tensor(shape: [2, 2], data: [1, 5, 3, 5]))
        XCTAssertEqual(scaling.apply(Tensor(shape: [1, 2], data: [3, 7])).data, [1, 2])
    }
}
