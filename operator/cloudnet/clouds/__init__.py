"""Cloud clients: HTTP, request signing and the error taxonomy, one module per API family.

Nothing here knows about Kubernetes or kopf; the providers above translate
:class:`~cloudnet.clouds.errors.CloudError` into retry decisions.
"""
