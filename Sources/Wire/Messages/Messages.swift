import ANASOD

/// Worker → coordinator: the first message on a connection, and again after every reconnect.
public struct Hello: Hashable, Sendable {
    public var workerID: String
    public var host: String
    public var slots: Int
    public var devices: [String]
    /// What the worker can evaluate, per evaluator.
    public var evaluators: [Capability]
    public var software: String
    /// Jobs the worker still holds from before a reconnect, re-announced so they are not re-leased.
    public var heldJobs: [JobKey]
    /// What this worker's build understands beyond the protocol version (`definedSpaces`); older builds send
    /// none.
    public var features: [String]

    /// A build that reads a study's own space from the welcome (`Welcome.spaceDefinition`).
    public static let definedSpaces = "defined-spaces"
    /// Every feature this build has.
    public static let supportedFeatures = [definedSpaces]

    public init(workerID: String, host: String, slots: Int, devices: [String] = [], evaluators: [Capability],
                software: String, heldJobs: [JobKey] = [], features: [String] = []) {
        self.features = features
        self.workerID = workerID
        self.host = host
        self.slots = slots
        self.devices = devices
        self.evaluators = evaluators
        self.software = software
        self.heldJobs = heldJobs
    }
}

/// Coordinator → worker: accepted; heartbeats are expected every `heartbeatInterval` seconds.
public struct Welcome: Hashable, Sendable {
    public var workerID: String
    public var studyID: String
    public var heartbeatInterval: Double
    public var software: String
    /// The study's own search space (`SlotSearchSpace.definitionJSON`), nil for a built-in one: sent once
    /// per welcome, so jobs carry only its name.
    public var spaceDefinition: String?

    public init(workerID: String, studyID: String, heartbeatInterval: Double, software: String, spaceDefinition: String? = nil) {
        self.workerID = workerID
        self.studyID = studyID
        self.heartbeatInterval = heartbeatInterval
        self.software = software
        self.spaceDefinition = spaceDefinition
    }
}

/// Coordinator → worker: not accepted, and why (wrong version, no evaluator in common, study over).
public struct Refusal: Hashable, Sendable {
    public var reason: String
    /// Seconds after which the worker may say hello again (a refusal that passes: an eviction's cool-down,
    /// a quarantine); nil for a refusal that stands (the worker cannot run this study). Wire key
    /// `retry_after`, optional: absent in version-1 messages, which were always final.
    public var retryAfter: Double?
    public init(reason: String, retryAfter: Double? = nil) {
        self.reason = reason
        self.retryAfter = retryAfter
    }
}

/// Worker → coordinator: credit for `slots` more jobs (credit-based dispatch).
public struct JobRequest: Hashable, Sendable {
    public var slots: Int
    public init(slots: Int) { self.slots = slots }
}

/// Coordinator → worker: evaluate one architecture.
public struct Job: Hashable, Sendable {
    public var key: JobKey
    public var studyID: String
    /// The search space's name (`nb201`, `darts`, …).
    public var space: String
    /// The encoding, one distribution per cell type.
    public var encoding: [[Double]]
    /// The architecture string.
    public var architecture: String
    /// How to evaluate it: the study's settings, validated by the coordinator (`EvaluationSettings`).
    public var evaluation: EvaluationSettings
    public var seed: UInt64
    /// Seconds from the job's arrival within which the result must be sent (relative, so that the two
    /// machines' clocks need not agree).
    public var timeout: Double

    public init(key: JobKey, studyID: String, space: String, encoding: [[Double]], architecture: String,
                evaluation: EvaluationSettings, seed: UInt64, timeout: Double) {
        self.key = key
        self.studyID = studyID
        self.space = space
        self.encoding = encoding
        self.architecture = architecture
        self.evaluation = evaluation
        self.seed = seed
        self.timeout = timeout
    }
}

/// Either way: still alive; the worker lists the jobs it is running.
public struct Heartbeat: Hashable, Sendable {
    public var sent: Double
    public var running: [JobKey]

    public init(sent: Double, running: [JobKey] = []) {
        self.sent = sent
        self.running = running
    }
}

/// Worker → coordinator: partial metrics of a running job (one per epoch).
public struct Progress: Hashable, Sendable {
    public var key: JobKey
    public var progress: EpochProgress

    public init(key: JobKey, progress: EpochProgress) {
        self.key = key
        self.progress = progress
    }

    public init(key: JobKey, epoch: Int, trainLoss: Double? = nil, validationError: Double? = nil, seconds: Double) {
        self.init(key: key, progress: EpochProgress(epoch: epoch, trainLoss: trainLoss, validationError: validationError, seconds: seconds))
    }
}

/// Worker → coordinator: a finished evaluation.
public struct JobResult: Hashable, Sendable {
    public var key: JobKey
    public var metrics: Metrics

    public init(key: JobKey, metrics: Metrics) {
        self.key = key
        self.metrics = metrics
    }

    public init(key: JobKey, validationError: Double, testError: Double? = nil, trainSeconds: Double,
                parameters: Int? = nil, flops: Int? = nil) {
        self.init(key: key, metrics: Metrics(validationError: validationError, testError: testError, trainSeconds: trainSeconds,
                                             parameters: parameters, flops: flops))
    }
}

/// Worker → coordinator: an evaluation that failed, and the class of the failure (which decides whether
/// and where it is retried).
public struct JobFailure: Hashable, Sendable {
    public var key: JobKey
    public var reason: String
    public var failureClass: FailureClass
    /// The last lines of the trainer's standard error, when there is one.
    public var log: String?

    public init(key: JobKey, reason: String, class failureClass: FailureClass, log: String? = nil) {
        self.key = key
        self.reason = reason
        self.failureClass = failureClass
        self.log = log
    }

    /// Whether another attempt may succeed.
    public var retryable: Bool { failureClass.retryable }
}

/// Coordinator → worker: stop this job (its lease moved, or the study ended).
public struct JobCancel: Hashable, Sendable {
    public var key: JobKey
    public init(key: JobKey) { self.key = key }
}

/// Either way: no new jobs; finish the running ones, then leave (worker → coordinator: "I am draining").
public struct Drain: Hashable, Sendable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// Coordinator → worker: the study is over; stop now (running jobs are cancelled).
public struct Shutdown: Hashable, Sendable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// Coordinator → worker: these results and failures are committed to the journal; the worker may forget
/// them (until then it keeps them and sends them again after a reconnect).
public struct Ack: Hashable, Sendable {
    public var keys: [JobKey]
    public init(keys: [JobKey]) { self.keys = keys }
}

/// Every message of the protocol.
public enum WireMessage: Hashable, Sendable {
    case hello(Hello)
    case welcome(Welcome)
    case refusal(Refusal)
    case request(JobRequest)
    case job(Job)
    case heartbeat(Heartbeat)
    case progress(Progress)
    case result(JobResult)
    case failure(JobFailure)
    case cancel(JobCancel)
    case drain(Drain)
    case shutdown(Shutdown)
    case ack(Ack)

    public var type: MessageType {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .refusal: .refusal
        case .request: .request
        case .job: .job
        case .heartbeat: .heartbeat
        case .progress: .progress
        case .result: .result
        case .failure: .failure
        case .cancel: .cancel
        case .drain: .drain
        case .shutdown: .shutdown
        case .ack: .ack
        }
    }
}
