import Cluster
import Testing

/// `anasod worker --trainer NAME=COMMAND`: profiles by name; a wrong entry is named in the error.
@Suite struct TrainerProfilesTests {
    @Test func profilesAreKeptByNameWithTheCommandWhole() throws {
        let profiles = try TrainerProfiles.parse(
            ["gpu=python train.py --x=1", "cpu.small=sh run.sh"], defaultCommand: "sh default.sh")
        #expect(profiles == ["gpu": "python train.py --x=1", "cpu.small": "sh run.sh"])
    }

    @Test(arguments: [
        (["gpu"], "--trainer wants NAME=COMMAND, got 'gpu'"),
        (["=cmd"], "--trainer wants NAME=COMMAND, got '=cmd'"),
        (["gpu="], "--trainer wants NAME=COMMAND, got 'gpu='"),
        (["g p=cmd"], "--trainer profile name 'g p' must be letters, digits, '-', '_' or '.'"),
        (["a=x", "a=y"], "--trainer names the profile 'a' twice"),
    ])
    func wrongEntriesAreNamed(entries: [String], message: String) {
        #expect(throws: ClusterError(.invalidConfiguration, message)) { try TrainerProfiles.parse(entries) }
    }

    @Test func theDefaultProfileIsGivenOnce() throws {
        #expect(try TrainerProfiles.parse(["default=sh a.sh"]) == ["default": "sh a.sh"])
        #expect(
            throws: ClusterError(
                .invalidConfiguration, "--trainer-command is the 'default' profile: drop --trainer default=…")
        ) {
            try TrainerProfiles.parse(["default=sh a.sh"], defaultCommand: "sh b.sh")
        }
    }

    @Test func listsAreTrimmedAndEmptyNamesDropped() {
        #expect(TrainerProfiles.names(" nb201, darts ,,") == ["nb201", "darts"])
        #expect(TrainerProfiles.names(nil) == [])
    }
}
