"""Contract: a unit of work commits whole or not at all."""

from __future__ import annotations

import pytest

from graph.errors import ReadOnlyTransaction, TransactionClosed
from graph.model import Household
from graph.store import GraphStore, UnitOfWork
from tests.builders import household


def count(store: GraphStore) -> int:
    return store.run(lambda uow: uow.count(Household), write=False)


def test_nothing_is_kept_without_commit(store: GraphStore) -> None:
    with store.unit_of_work() as uow:
        uow.upsert(household())
    assert count(store) == 0


def test_an_exception_rolls_back_every_write_of_the_unit(store: GraphStore) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.unit_of_work() as uow:
        uow.upsert(household())
        uow.upsert(household())
        raise Boom
    assert count(store) == 0


def test_managed_run_commits_on_return_and_rolls_back_on_error(store: GraphStore) -> None:
    store.run(lambda uow: uow.upsert(household()))

    def half_then_fail(uow: UnitOfWork) -> None:
        uow.upsert(household())
        raise RuntimeError("fails after a write")

    with pytest.raises(RuntimeError):
        store.run(half_then_fail)
    assert count(store) == 1


def test_explicit_rollback_discards(store: GraphStore) -> None:
    with store.unit_of_work() as uow:
        uow.upsert(household())
        uow.rollback()
    assert count(store) == 0


def test_writes_are_visible_inside_their_own_unit(store: GraphStore) -> None:
    h = household()
    with store.unit_of_work() as uow:
        uow.upsert(h)
        assert uow.get(Household, h.id) == h
        uow.commit()
    assert count(store) == 1


def test_a_finished_unit_cannot_be_used_again(store: GraphStore) -> None:
    with store.unit_of_work() as uow:
        uow.commit()
        with pytest.raises(TransactionClosed):
            uow.upsert(household())
        with pytest.raises(TransactionClosed):
            uow.commit()


def test_managed_functions_do_not_commit_themselves(store: GraphStore) -> None:
    with pytest.raises(TransactionClosed):
        store.run(lambda uow: uow.commit())


def test_a_unit_opened_for_reading_refuses_writes(store: GraphStore) -> None:
    with store.unit_of_work(write=False) as uow, pytest.raises(ReadOnlyTransaction):
        uow.upsert(household())
    with pytest.raises(ReadOnlyTransaction):
        store.run(lambda uow: uow.upsert(household()), write=False)
    assert count(store) == 0


def test_managed_functions_do_not_roll_back_themselves(store: GraphStore) -> None:
    def write_then_roll_back(uow: UnitOfWork) -> None:
        uow.upsert(household())
        uow.rollback()

    with pytest.raises(TransactionClosed):
        store.run(write_then_roll_back)
    assert count(store) == 0


def test_a_failed_write_ends_the_unit_and_keeps_none_of_it(store: GraphStore) -> None:
    from graph.errors import ConstraintViolation
    from graph.model import User
    from graph.model.enums import Role
    from tests.builders import T0

    def user(name: str) -> User:
        return User(
            id=name, username=name, display_name=name, roles=[Role.AUDITOR], created_at=T0, updated_at=T0
        )

    store.run(lambda uow: uow.create(user("taken")))
    with store.unit_of_work() as uow:
        uow.upsert(household())
        with pytest.raises(ConstraintViolation):
            uow.create(user("taken"))
        with pytest.raises(TransactionClosed):
            uow.upsert(household())
        with pytest.raises(TransactionClosed):
            uow.commit()
    assert count(store) == 0
