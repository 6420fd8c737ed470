"""A fake kube-apiserver behind each emulated cluster's `apiserver` task (see apiserver.py)."""

from localdcos.kube.apiserver import FakeApiServer, apiserver_certificate, apiserver_hostnames
from localdcos.kube.handler import RequestRecord
from localdcos.kube.resources import GIT_VERSION

__all__ = ["GIT_VERSION", "FakeApiServer", "RequestRecord", "apiserver_certificate", "apiserver_hostnames"]
