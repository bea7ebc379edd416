"""The manifest's cheap list of live version ids agrees with its full rows through a version's life."""

from rag.manifest import WRITING, Generation, Manifest, generation_id


def test_live_gens_are_the_live_versions_only(tmp_path):
    manifest = Manifest(tmp_path)
    first = Generation(generation_id("a.txt", "f1"), "a.txt", WRITING, "f1", chunks=2)
    manifest.begin(first)
    assert manifest.live_gens() == set()  # a version being written is not searched
    manifest.commit(first.gen)
    assert manifest.live_gens() == {first.gen}
    second = Generation(generation_id("a.txt", "f2"), "a.txt", WRITING, "f2", chunks=3)
    manifest.begin(second)
    assert manifest.live_gens() == {first.gen}  # the old version answers until the new one is complete
    manifest.commit(second.gen)
    assert manifest.live_gens() == {second.gen} == {g.gen for g in manifest.live()}
