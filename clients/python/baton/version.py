"""The SDK's name and version, as RegisterWorker reports them."""
SDK_NAME = "baton-python"
__version__ = "0.1.0"
