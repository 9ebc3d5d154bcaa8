"""A wiring with a factory, for the graph view and the command line."""

from injectq import Assisted, Factory, Module


class Database:
    pass


class Report:
    def __init__(self, db: Database, title: Assisted[str]) -> None:
        self.db = db
        self.title = title


class Reporter:
    def __init__(self, new_report: Factory[Report]) -> None:
        self.new_report = new_report


class ReportModule(Module):
    def configure(self) -> None:
        self.bind(Database).singleton()
        self.bind(Reporter)
