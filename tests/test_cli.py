"""The one command-line convention: dataclass fields become absl flags, and back; the registry
that every command reads."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest
from absl import flags

from tf1_mnist import predict, reproduce
from tf1_mnist.support import cli
from tf1_mnist.support.cli import option
from tf1_mnist.support.errors import ConfigError
from tf1_mnist.training import ports
from tf1_mnist.training.config import Config


@dataclasses.dataclass
class Example:
    name: str = option("x", "A string.")
    count: int = option(3, "An integer.")
    rate: float = option(0.5, "A float.")
    on: bool = option(False, "A bool.")
    items: list[str] = option(["a", "b"], "A list.")
    kind: str = option("cnn", "An enum.", choices=ports.PORTS)
    seed: int | None = option(None, "An optional integer.")


def _parsed(*argv: str, defaults: Example | None = None) -> Example:
    values = flags.FlagValues()
    cli.define_flags(defaults or Example(), values)
    values(["prog", *argv])
    return cli.parse(Example, values)


def test_every_field_type_round_trips() -> None:
    assert _parsed() == Example()
    got = _parsed(
        "--name=y", "--count=7", "--rate=2.5", "--on", "--items=c,d,e", "--kind=fc", "--seed=4"
    )
    assert got == Example("y", 7, 2.5, True, ["c", "d", "e"], "fc", 4)


def test_help_text_and_defaults_come_from_the_dataclass() -> None:
    values = flags.FlagValues()
    cli.define_flags(Example(count=9), values)
    assert values["count"].help == "An integer." and values["count"].default == 9
    assert values["kind"].parser.enum_values == list(ports.PORTS)


def test_bad_values_are_flag_errors() -> None:
    for argv in (["--count=many"], ["--kind=lenet"], ["--rate=fast"]):
        with pytest.raises(flags.Error):
            _parsed(*argv)


def test_list_defaults_are_not_shared() -> None:
    first, second = Example(), Example()
    first.items.append("z")
    assert second.items == ["a", "b"]


def test_every_command_uses_the_convention() -> None:
    """Every command's options are a dataclass of `option` fields with help texts."""
    from tf1_mnist import cluster
    from tf1_mnist.legacy.runner import Options as LegacyOptions

    for options in (Config, predict.Options, reproduce.Options, LegacyOptions, cluster.Options):
        for field in dataclasses.fields(options):
            assert field.metadata.get("help"), (options.__name__, field.name)


def test_no_flag_means_two_things() -> None:
    """A flag name shared by two commands has the same type in both."""
    from tf1_mnist import cluster
    from tf1_mnist.legacy.runner import Options as LegacyOptions

    seen: dict[str, type] = {}
    for options in (Config, predict.Options, reproduce.Options, LegacyOptions, cluster.Options):
        for name, hint in typing.get_type_hints(options).items():
            kind = cli.flag_type(hint)
            assert seen.setdefault(name, kind) is kind, (options.__name__, name)


# --------------------------------------------------------------------------- the registry


def test_registry_lists_every_port_once_with_its_budget() -> None:
    names = [spec.name for spec in ports.specs()]
    assert names == list(ports.PORTS) and len(set(names)) == len(names)
    for spec in ports.specs():
        assert spec.config().max_steps == spec.budget.steps
        assert 0 < spec.budget.threshold < spec.budget.reference < 1
        if spec.quick is not None:
            assert spec.quick.steps < spec.budget.steps
            assert spec.config(quick=True).max_steps == spec.quick.steps
            assert spec.quick.threshold < spec.quick.reference


def test_unknown_port_names_the_ports() -> None:
    with pytest.raises(ConfigError, match="unknown model 'lenet'; the ports are softmax, cnn"):
        ports.get("lenet")
    with pytest.raises(ConfigError, match="unknown model\\(s\\) lenet, vgg"):
        ports.specs(["fc", "lenet", "vgg"])


def test_run_dirs_layout() -> None:
    spec = ports.get("fc")
    dirs = ports.run_dirs(spec, spec.config(logdir="L", ckpt_dir="C"))
    assert dirs.logdir == Path("L/fc") and dirs.plot_dir == Path("L/fc")
    assert dirs.ckpt_prefix == Path("C/fc/fc_nn_model")
    moved = ports.run_dirs(spec, spec.config(plot_dir="figures"))
    assert moved.plot_dir == Path("figures")


def test_config_overrides_and_defaults() -> None:
    cnn = ports.get("cnn")
    cfg = cnn.config(learning_rate=0.5)
    assert (cfg.batch_size, cfg.learning_rate, cfg.max_steps) == (100, 0.5, 30000)
    assert Config().data_dir == "MNIST_data/"  # the environment is read when loading, not here
