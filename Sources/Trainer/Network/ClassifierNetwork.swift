/// A whole image classifier the trainer can train: NB201's and DARTS's networks. Sample-major images in,
/// logits out; `backward` accumulates every parameter's gradient.
public protocol ClassifierNetwork: AnyObject {
    var parameters: [Parameter] { get }
    /// Parameters of the network that classifies (an auxiliary head not counted): its reported size.
    var evaluationParameterCount: Int { get }
    /// Multiply-accumulates of one forward pass of one `h × w` image (the auxiliary head not counted).
    func multiplyAccumulates(h: Int, w: Int) -> Int
    /// Logits (N × classes) of a batch of sample-major images.
    func forward(_ x: Tensor, training: Bool) -> Tensor
    /// The auxiliary head's logits of the last training forward (nil: the network has no auxiliary head).
    var auxiliaryLogits: Tensor? { get }
    /// Backpropagates dL/dlogits (and dL/d(auxiliary logits) when the network has an auxiliary head).
    func backward(_ gradLogits: Tensor, auxiliary: Tensor?)
    /// Called before each training epoch (1-based, of `epochs`): schedules that follow the epoch (drop-path).
    func beginEpoch(_ epoch: Int, of epochs: Int)
}

extension ClassifierNetwork {
    /// Trainable parameters, the auxiliary head's included.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
    /// Parameters of the network that classifies (an auxiliary head not counted): its reported size.
    public var evaluationParameterCount: Int { parameterCount }
    public var auxiliaryLogits: Tensor? { nil }
    public func backward(_ gradLogits: Tensor) { backward(gradLogits, auxiliary: nil) }
    public func beginEpoch(_ epoch: Int, of epochs: Int) {}
}
