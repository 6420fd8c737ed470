"""Real HAProxy in the sandbox: the node namespace its processes see (netns), the one `haproxy -c`
runner (check), supervised processes with `-sf` reloads (process), and the `--haproxy` runtime that
keeps Marathon-LB's and every running pool's HAProxy and the fake apiservers in step (runtime).

Kept free of imports: the load balancer packages use check and netns, and runtime uses them."""
