"""The TLS policy DC/OS's load balancers (Marathon-LB and Edge-LB pools alike) write into HAProxy's
global section, for binds and for servers: TLS <= 1.2 suites only, no SSLv3 or TLS 1.0, no tickets."""

from __future__ import annotations

CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "DHE-RSA-AES128-GCM-SHA256",
        "DHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES128-SHA256",
        "ECDHE-RSA-AES128-SHA256",
        "ECDHE-ECDSA-AES256-SHA384",
        "ECDHE-RSA-AES256-SHA384",
        "DHE-RSA-AES128-SHA256",
        "DHE-RSA-AES256-SHA256",
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
        "AES128-SHA256",
        "AES256-SHA256",
        "!aNULL",
        "!MD5",
        "!DSS",
    )
)
OPTIONS = "no-sslv3 no-tlsv10 no-tls-tickets"
