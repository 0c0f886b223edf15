"""kreg's container image (image/build.sh), checked without a container runtime.

podman run cannot start containers on the CI machine (crun's setrlimit is
refused, the host runs hybrid cgroups), so the image is built, its OCI archive
unpacked with umoci, and its rootfs run in a chroot (own mount namespace: the
image's /proc, /dev, /sys and /tmp, the host's resolv.conf as a runtime would
bind it, and the host's kernel cache bind-mounted at its own path, since
kernel.json holds absolute paths). In there: kreg --version, kreg plan smoke
--shards 2, kreg submit k8s on that plan, and the plan's smallest shard, which
boots the smoke suite's 6.1 kernel with the image's own QEMU.

Root (mounts, chroot). Environment: KREG_BUILD_DIR (the build tree), and
KREG_CACHE_DIR as kreg reads it.
"""
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import tarfile
import tempfile
import time
import unittest

SRC = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("KREG_BUILD_DIR", SRC / "build"))


def kernel_cache() -> pathlib.Path:
    """kreg's default cache directory (vm/kernels/kernel_fetch.cpp)."""
    if os.environ.get("KREG_CACHE_DIR"):
        return pathlib.Path(os.environ["KREG_CACHE_DIR"])
    if os.environ.get("XDG_CACHE_HOME"):
        return pathlib.Path(os.environ["XDG_CACHE_HOME"]) / "kreg"
    return pathlib.Path.home() / ".cache" / "kreg"


# Runs inside `unshare --mount --propagation private`: every mount ends with it.
CHROOT_SCRIPT = r"""
set -e
root=$1 cache=$2 cwd=$3; shift 3
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount -t tmpfs tmpfs "$root/tmp"
mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root$cache"
mount --bind "$cache" "$root$cache"
exec chroot "$root" /bin/sh -c 'cd "$1" && shift && exec /usr/bin/env -i "$@"' sh "$cwd" "$@"
"""


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise RuntimeError("the image test mounts and chroots: run it as root (CI does)")
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="kreg-image-test-", dir=os.environ.get("TMPDIR", "/var/tmp")))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)  # also when setUpClass fails
        cls.cache = kernel_cache()
        start = time.monotonic()
        built = subprocess.run([str(SRC / "image/build.sh"), "--build-dir", str(BUILD), "--out", str(cls.tmp / "out")],
                               capture_output=True, text=True)
        cls.build_seconds = time.monotonic() - start
        if built.returncode != 0:
            raise RuntimeError(f"image/build.sh exited {built.returncode}:\n{built.stderr}")
        cls.image, oci_tar, docker_tar = built.stdout.split()
        cls.oci_tar, cls.docker_tar = pathlib.Path(oci_tar), pathlib.Path(docker_tar)
        print(f"\nimage {cls.image}: built in {cls.build_seconds:.0f} s; OCI archive {cls.oci_tar.stat().st_size >> 20} MiB, "
              f"docker archive {cls.docker_tar.stat().st_size >> 20} MiB", flush=True)
        # The OCI archive as a layout, unpacked by umoci into a runtime bundle (rootfs/ + config.json).
        layout = cls.tmp / "layout"
        with tarfile.open(cls.oci_tar) as archive:
            archive.extractall(layout)
        cls.index = json.loads((layout / "index.json").read_text())
        ref = cls.index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
        start = time.monotonic()
        subprocess.run(["umoci", "unpack", "--image", f"{layout}:{ref}", str(cls.tmp / "bundle")], check=True)
        print(f"umoci unpack: {time.monotonic() - start:.0f} s", flush=True)
        cls.rootfs = cls.tmp / "bundle" / "rootfs"
        cls.runtime = json.loads((cls.tmp / "bundle" / "config.json").read_text())
        (cls.rootfs / "etc/resolv.conf").unlink(missing_ok=True)
        (cls.rootfs / "etc/resolv.conf").touch()

    def in_image(self, *argv, timeout=300):
        """Runs argv in the image's rootfs with the image's environment and working directory."""
        process = self.runtime["process"]
        cmd = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", CHROOT_SCRIPT, "sh",
               str(self.rootfs), str(self.cache), process["cwd"], *process["env"], *argv]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def test_archives_name_the_image_and_hold_its_layers(self):
        self.assertEqual(self.index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], self.image)
        with tarfile.open(self.docker_tar) as archive:
            manifest = json.load(archive.extractfile("manifest.json"))
            self.assertEqual(len(manifest), 1)
            # skopeo writes the name fully qualified, as a kubelet or podman resolves kreg:TAG.
            self.assertEqual(manifest[0]["RepoTags"], ["docker.io/library/" + self.image])
            config = json.load(archive.extractfile(manifest[0]["Config"]))
            # podman load checks each layer against the config's diff_ids: so does this.
            digests = []
            for layer in manifest[0]["Layers"]:
                digest = hashlib.sha256()
                with archive.extractfile(layer) as blob:
                    for chunk in iter(lambda: blob.read(1 << 20), b""):
                        digest.update(chunk)
                digests.append("sha256:" + digest.hexdigest())
        self.assertEqual(digests, config["rootfs"]["diff_ids"])
        self.assertEqual(len(digests), 2, "a Debian base layer and a kreg layer")
        version, commit = self.image.removeprefix("kreg:").split("-", 1)
        self.assertEqual(config["config"]["Labels"]["org.opencontainers.image.revision"], commit)
        self.assertEqual(config["config"]["Labels"]["org.opencontainers.image.version"], version)

    def test_kreg_version_in_the_image_is_the_build(self):
        host = subprocess.run([str(BUILD / "kreg"), "--version"], capture_output=True, text=True, check=True).stdout
        ran = self.in_image("kreg", "--version")
        self.assertEqual(ran.returncode, 0, ran.stderr)
        self.assertEqual(ran.stdout, host)
        version, commit = host.split()[1], host.split()[3].rstrip(")")
        self.assertEqual(self.image, f"kreg:{version}-{commit}")

    def test_runtime_image_has_no_compiler(self):
        for tool in ("gcc", "cc", "c++", "g++", "clang", "make"):
            self.assertFalse((self.rootfs / "usr/bin" / tool).exists(), f"/usr/bin/{tool} is in the runtime image")
        for tool in ("qemu-system-x86_64", "apt-get", "python3", "mkfs.ext4", "busybox"):
            self.assertTrue(any((self.rootfs / d / tool).exists() for d in ("usr/bin", "usr/sbin", "bin", "sbin")),
                            f"{tool} is missing from the image")

    def test_suites_and_the_files_they_name_are_in_the_image(self):
        # A suite names patches and configs relative to itself (suites/patches/): all of suites/ ships.
        shipped = self.rootfs / "opt/kreg/share/kreg"
        files = [f.relative_to(SRC) for f in (SRC / "suites").rglob("*") if f.is_file()]
        self.assertTrue(any(f.suffix == ".patch" for f in files), "suites/ holds no patch to check")
        for f in files:
            self.assertTrue((shipped / f).is_file(), f"{f} is missing from the image")

    def test_plan_manifest_and_a_shard_in_the_image(self):
        results = "/results"
        plan_id = "image-smoke"
        cache = str(self.cache)
        ran = self.in_image("kreg", "plan", "smoke", "--shards", "2", "--run-id", plan_id, "--results", results,
                            "--cache", cache)
        self.assertEqual(ran.returncode, 0, ran.stderr)
        plan_path = f"{results}/{plan_id}/plan.json"
        plan = json.loads((self.rootfs / plan_path.lstrip("/")).read_text())
        self.assertEqual(len(plan["shards"]), 2)

        # The manifest's default image is the one just built.
        ran = self.in_image("kreg", "submit", "k8s", plan_path, "--volume-claim", "kreg-results")
        self.assertEqual(ran.returncode, 0, ran.stderr)
        images = [line.split("image:", 1)[1].strip().strip('"') for line in ran.stdout.splitlines()
                  if line.strip().startswith("image:")]
        self.assertEqual(images, [self.image, self.image], "shards' Job and merge Job")

        # The smallest shard boots the smoke suite's 6.1 kernel with the image's QEMU.
        index = min(range(len(plan["shards"])), key=lambda i: len(plan["shards"][i]["units"]))
        units = plan["shards"][index]["units"]
        start = time.monotonic()
        ran = self.in_image("kreg", "run", "--plan", plan_path, "--shard", str(index), "--results", results,
                            "--cache", cache, timeout=1200)
        seconds = time.monotonic() - start
        shard_dir = self.rootfs / results.lstrip("/") / plan_id / "shards" / str(index)
        records = sorted(shard_dir.glob("jobs/*/*.json"))
        print(f"shard {index} in the image: exit {ran.returncode}, {len(records)} records for {len(units)} units, "
              f"{seconds:.0f} s", flush=True)
        self.assertEqual(ran.returncode, 0, ran.stderr[-3000:])
        self.assertEqual(len(records), len(units))
        run = json.loads((shard_dir / "run.json").read_text())
        qemu = self.in_image("qemu-system-x86_64", "--version")
        self.assertEqual(qemu.returncode, 0, qemu.stderr)
        self.assertIn(run["machine"]["qemu"], qemu.stdout)
        for record in records:
            self.assertTrue(json.loads(record.read_text())["kernel"]["release"].startswith("6.1."), record)


if __name__ == "__main__":
    unittest.main()
