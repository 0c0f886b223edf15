"""The CI examples people copy (examples/ci/): they parse, hold the keys their CI service needs,
run only real kreg commands and flags, gate on kreg compare's exit code, and upload the files
kreg really writes. The GitLab compare job's script runs here for real on two copies of a real
run (tests/fixtures/runs/report-default-4k): it must exit 0 and leave the JUnit file, compare.json
and the report where the artifact paths say. No CI service is reachable from here.

Run from the repository root with KREG_BIN=build/kreg: python3 -m unittest discover -s tests/ci
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(REPO, "examples", "ci")
FIXTURE_RUN = os.path.join(REPO, "tests", "fixtures", "runs", "report-default-4k")
KREG = os.environ.get("KREG_BIN") or os.path.join(REPO, "build", "kreg")


def load(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
        return yaml.safe_load(f)


def kreg_invocations(script):
    """[(subcommand, [tokens after it])] for every ./build/kreg in a shell script (one string)."""
    out = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        for i, tok in enumerate(tokens):
            if tok.endswith("build/kreg"):
                args = []
                for t in tokens[i + 1:]:
                    if t in ("||", "&&", ";", "|", ">", ">>", "&"):
                        break
                    args.append(t)
                out.append((args[0], args[1:]))
    return out


def github_scripts(doc):
    return ["\n".join(s["run"] for s in job["steps"] if "run" in s) for job in doc["jobs"].values()]


def gitlab_scripts(doc):
    return ["\n".join(job["script"]) for name, job in doc.items() if isinstance(job, dict) and "script" in job]


class CiExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(KREG, os.X_OK):
            raise AssertionError(f"{KREG} is not an executable kreg; build it or set KREG_BIN")
        cls.github = load("github-actions.yml")
        cls.gitlab = load("gitlab-ci.yml")
        cls.help = {}

    def flags_of(self, sub):
        if sub not in self.help:
            proc = subprocess.run([KREG, sub, "--help"], capture_output=True, text=True, timeout=60)
            self.assertEqual(proc.returncode, 0, f"kreg {sub} --help failed: {proc.stderr}")
            self.help[sub] = set(re.findall(r"(--[a-z][a-z0-9-]*)", proc.stdout))
        return self.help[sub]

    def check_commands(self, scripts, where):
        seen = []
        for script in scripts:
            for sub, args in kreg_invocations(script):
                seen.append(sub)
                known = self.flags_of(sub)
                for arg in args:
                    if arg.startswith("--"):
                        self.assertIn(arg.split("=", 1)[0], known, f"{where}: kreg {sub} has no option {arg}")
        for sub in ("run", "compare", "report"):
            self.assertIn(sub, seen, f"{where} never runs kreg {sub}")

    def test_github_workflow_keys(self):
        doc = self.github
        # PyYAML reads the bare key `on` as True (YAML 1.1); GitHub reads it as "on".
        self.assertTrue("on" in doc or True in doc, "no trigger (on:)")
        self.assertIn("jobs", doc)
        job = doc["jobs"]["kreg"]
        self.assertIn("runs-on", job)
        self.assertIn("/dev/kvm", job["container"]["options"])
        uses = [s.get("uses", "") for s in job["steps"]]
        self.assertTrue(any(u.startswith("actions/cache@") for u in uses), "the baseline run is not kept")
        upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
        self.assertEqual(upload.get("if"), "always()", "artifacts must be uploaded whatever the verdict")
        for path in ("junit.xml", "compare.json", "report/"):
            self.assertIn(path, upload["with"]["path"])
        compare = next(s for s in job["steps"] if s.get("id") == "compare")
        self.assertIn('echo "rc=$?" >> "$GITHUB_OUTPUT"', compare["run"])
        self.assertEqual(job["steps"][-1]["run"].strip(), 'exit "${{ steps.compare.outputs.rc }}"')

    def test_github_commands_are_real(self):
        self.check_commands(github_scripts(self.github), "github-actions.yml")

    def test_gitlab_keys(self):
        doc = self.gitlab
        self.assertEqual(doc["stages"], ["measure", "compare"])
        for name in ("baseline", "candidate", "compare"):
            self.assertIn(doc[name]["stage"], doc["stages"])
            self.assertIsInstance(doc[name]["script"], list)
        self.assertIn("runs/baseline/", doc["baseline"]["cache"]["paths"])
        compare = doc["compare"]
        self.assertEqual(compare["needs"], ["baseline", "candidate"])
        self.assertEqual(compare["artifacts"]["when"], "always")
        self.assertEqual(compare["artifacts"]["reports"]["junit"], "runs/candidate/compare/junit.xml")
        self.assertIn("runs/candidate/report/", compare["artifacts"]["paths"])
        self.assertEqual(compare["script"][-1], "exit $rc")

    def test_gitlab_commands_are_real(self):
        self.check_commands(gitlab_scripts(self.gitlab), "gitlab-ci.yml")

    def test_suites_and_kernel_specs_exist(self):
        for where, env in (("github-actions.yml", self.github["env"]), ("gitlab-ci.yml", self.gitlab["variables"])):
            self.assertTrue(os.path.isfile(os.path.join(REPO, "suites", env["KREG_SUITE"] + ".toml")), where)
            for key in ("KREG_BASELINE",):
                self.assertRegex(env[key], r"^debian:[a-z-]+(:[0-9.]+)?$", f"{where}: {key}")
        self.assertRegex(self.gitlab["variables"]["KREG_CANDIDATE"], r"^debian:[a-z-]+(:[0-9.]+)?$")

    def test_gitlab_compare_job_runs_and_leaves_its_artifacts(self):
        job = self.gitlab["compare"]
        with tempfile.TemporaryDirectory(prefix="kreg-ci-example-") as tmp:
            os.makedirs(os.path.join(tmp, "build"))
            os.symlink(KREG, os.path.join(tmp, "build", "kreg"))
            for side in ("baseline", "candidate"):
                shutil.copytree(FIXTURE_RUN, os.path.join(tmp, "runs", side))
            script = "\n".join(line for line in job["script"] if "setup.sh" not in line)
            proc = subprocess.run(["bash", "-ec", script], cwd=tmp, capture_output=True, text=True, timeout=600)
            self.assertEqual(proc.returncode, 0, f"a run compared with itself must pass:\n{proc.stdout[-3000:]}\n"
                             f"{proc.stderr[-3000:]}")
            self.assertTrue(os.path.isfile(os.path.join(tmp, job["artifacts"]["reports"]["junit"])))
            for path in job["artifacts"]["paths"]:
                self.assertTrue(os.listdir(os.path.join(tmp, path)), f"{path} is empty")
            self.assertTrue(os.path.isfile(os.path.join(tmp, "runs/candidate/compare/compare.json")))
            self.assertTrue(os.path.isfile(os.path.join(tmp, "runs/candidate/report/report.html")))
            # the gate: the baseline's live-netns sweep replaced by its (flat) dead-netns sweep, so the
            # candidate's real live-netns slope is a regression and the script exits with compare's 1
            jobs = os.path.join(tmp, "runs", "baseline", "jobs", "5.10.0-32-cloud-amd64")
            with open(os.path.join(jobs, "netns__dead.json"), encoding="utf-8") as f:
                flat = json.load(f)
            flat["job_id"] = "netns/live"
            with open(os.path.join(jobs, "netns__live.json"), "w", encoding="utf-8") as f:
                json.dump(flat, f)
            proc = subprocess.run(["bash", "-ec", script], cwd=tmp, capture_output=True, text=True, timeout=600)
            self.assertEqual(proc.returncode, 1, proc.stdout[-3000:] + proc.stderr[-3000:])


if __name__ == "__main__":
    unittest.main()
