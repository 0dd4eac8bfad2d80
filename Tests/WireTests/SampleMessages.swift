import ANASOD
import Wire

/// One sample of every message type, with every optional field set, kept as versioned fixtures in
/// `Fixtures/v2/<type>.hex` (version 1's are kept in `Fixtures/v1`, to check they are refused) (regenerate deliberately with ANASOD_WRITE_FIXTURES=1 only when adding a type).
enum SampleMessages {
    static let key = JobKey(jobID: 42, attempt: 2)

    /// Every field of the evaluation settings set.
    static let evaluation: EvaluationSettings = {
        var e = EvaluationSettings(kind: .external, dataset: "cifar10")
        e.training.channels = 16
        e.training.cells = 5
        e.training.epochs = 12
        e.training.batchSize = 256
        e.training.learningRate = 0.1
        e.training.trainLimit = 0
        e.training.validationSize = 10_000
        e.training.testLimit = 0
        e.training.augment = true
        e.dataDirectory = "/data/cifar"
        e.killGrace = 10
        e.amp = true
        e.trainer = "a100"
        e.device = .gpu
        return e
    }()

    static let all: [WireMessage] = [
        .hello(Hello(workerID: "w-1", host: "node7", slots: 4, devices: ["cuda:0", "cuda:1"], evaluators: [
            Capability(kind: .table, spaces: ["nb201"], datasets: ["cifar10", "cifar100"]), Capability(kind: .synthetic),
            Capability(kind: .external, spaces: ["nb201", "darts"], profiles: ["default", "a100"])],
                     software: "anasod 0.1.0", heldJobs: [JobKey(jobID: 3, attempt: 1)])),
        .welcome(Welcome(workerID: "w-1", studyID: "nb201-c10", heartbeatInterval: 1.5, software: "anasod 0.1.0")),
        .refusal(Refusal(reason: "protocol version 2 not supported")),
        .request(JobRequest(slots: 3)),
        .job(Job(key: key, studyID: "nb201-c10", space: "nb201", encoding: [[0, 0.5, 0, 0.5, 0]],
                 architecture: "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
                 evaluation: SampleMessages.evaluation, seed: 1234, timeout: 3600.5)),
        .heartbeat(Heartbeat(sent: 1_700_000_000.25, running: [key, JobKey(jobID: 43, attempt: 1)])),
        .progress(Progress(key: key, epoch: 3, trainLoss: 0.71, validationError: 18.5, seconds: 12.25)),
        .result(JobResult(key: key, validationError: 5.63, testError: 5.7, trainSeconds: 301.5, parameters: 1_531_258,
                          flops: 220_000_000)),
        .failure(JobFailure(key: key, reason: "trainer exited with status 5", class: .resource, log: "CUDA out of memory")),
        .cancel(JobCancel(key: key)),
        .drain(Drain(reason: "SIGTERM")),
        .shutdown(Shutdown(reason: "budget reached")),
        .ack(Ack(keys: [key, JobKey(jobID: 43, attempt: 1)])),
    ]
}
